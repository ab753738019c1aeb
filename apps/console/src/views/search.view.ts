import { PageContext } from '../http/console-request';
import { words, STATE_WORDS, badgeClass } from '../i18n/states';
import { SearchOutcome, SearchType } from '../search/search.service';
import { SafeHtml, html } from './html';
import { csrfField, layout } from './layout.view';

const TYPES: SearchType[] = ['phone', 'message', 'ref'];

function typeLabel(ctx: PageContext, t: SearchType): string {
  return ctx.i18n.t(t === 'phone' ? 'search.type.phone' : t === 'message' ? 'search.type.message' : 'search.type.ref');
}

function pager(ctx: PageContext, type: SearchType, query: string, page: number, label: string): SafeHtml {
  return html`<form method="post" action="/console/search" class="inline">${csrfField(ctx)}
    <input type="hidden" name="type" value="${type}"><input type="hidden" name="q" value="${query}"><input type="hidden" name="page" value="${page}">
    <button type="submit">${label}</button></form>`;
}

function results(ctx: PageContext, type: SearchType, query: string, outcome: SearchOutcome): SafeHtml {
  const { i18n } = ctx;
  if (outcome.kind === 'invalid') return html`<p class="alert" role="alert">${i18n.t(outcome.problem === 'phone' ? 'search.invalidPhone' : 'search.invalidId')}</p>`;
  if (outcome.hits.length === 0) return html`<p role="status">${i18n.t('search.none')}</p>`;
  const withMessages = outcome.hits.some((h) => h.messageId);
  const rows = outcome.hits.map(
    (h) => html`<tr>
      <td><a href="/console/contacts/${h.contactId}${h.messageId ? `#m-${h.messageId}` : ''}">${h.phoneMasked ?? i18n.t('timeline.erased')}</a></td>
      ${withMessages
        ? html`<td><code>${h.messageId ?? ''}</code></td><td>${h.crmRef ?? ''}</td>
          <td>${h.status ? html`<span class="${badgeClass(h.status)}">${words(STATE_WORDS, h.status, i18n.lang)}</span>` : ''}</td>
          <td>${h.channel ?? ''}</td><td>${i18n.date(h.createdAt)}</td>`
        : ''}
    </tr>`,
  );
  return html`<section aria-labelledby="results-h"><h2 id="results-h">${i18n.t('search.results')}</h2>
  <table class="table"><thead><tr><th scope="col">${i18n.t('search.contact')}</th>
  ${withMessages ? html`<th scope="col">${i18n.t('timeline.messageId')}</th><th scope="col">${i18n.t('search.type.ref')}</th><th scope="col">${i18n.t('timeline.status')}</th><th scope="col">${i18n.t('timeline.channel')}</th><th scope="col">${i18n.t('timeline.created')}</th>` : ''}
  </tr></thead><tbody>${rows}</tbody></table>
  ${outcome.page > 0 || outcome.hasNext
    ? html`<nav class="pager" aria-label="${i18n.t('search.page')}">
      ${outcome.page > 0 ? pager(ctx, type, query, outcome.page - 1, i18n.t('search.prev')) : ''}
      <span>${i18n.t('search.page')} ${i18n.num(outcome.page + 1)}</span>
      ${outcome.hasNext ? pager(ctx, type, query, outcome.page + 1, i18n.t('search.next')) : ''}</nav>`
    : ''}
  </section>`;
}

/** The search form posts (phone numbers never go in URLs, where they would reach access logs). */
export function searchPage(ctx: PageContext, state: { type: SearchType; query: string; outcome?: SearchOutcome }) {
  const { i18n } = ctx;
  return layout(
    ctx,
    i18n.t('search.title'),
    html`<form method="post" action="/console/search" class="card form" role="search">${csrfField(ctx)}
  <fieldset><legend>${i18n.t('search.type')}</legend>
  ${TYPES.map((t) => html`<label class="radio"><input type="radio" name="type" value="${t}"${t === state.type ? html` checked` : ''}> ${typeLabel(ctx, t)}</label>`)}
  </fieldset>
  <p><label for="q">${i18n.t('search.query')}</label>
  <input id="q" name="q" required maxlength="200" autocomplete="off" value="${state.query}" aria-describedby="q-hint"></p>
  <p id="q-hint" class="hint">${i18n.t('search.hint')}</p>
  <p><button type="submit">${i18n.t('search.submit')}</button></p>
</form>
${state.outcome ? results(ctx, state.type, state.query, state.outcome) : ''}`,
  );
}
