import { PageContext, hasRole } from '../http/console-request';
import { CATEGORY_WORDS, CONTACT_EVENT_WORDS, EVENT_WORDS, REASON_WORDS, STATE_WORDS, badgeClass, words } from '../i18n/states';
import { ConsoleTimeline, REVEAL_REASON_MAX, REVEAL_REASON_MIN, TimelineItem } from '../search/history.service';
import { SafeHtml, html } from './html';
import { csrfField, layout } from './layout.view';

type Attempt = TimelineItem['attempts'][number];
type Event = TimelineItem['events'][number];
type ContactEvent = ConsoleTimeline['contactEvents'][number];

/** A channel's name as staff know it; other sources (engine, api) as they are. */
function sourceName(source: string): string {
  return ['rcs', 'sms', 'line'].includes(source) ? source.toUpperCase() : source;
}

function badge(ctx: PageContext, state: string | null): SafeHtml {
  return state ? html`<span class="${badgeClass(state)}">${words(STATE_WORDS, state, ctx.i18n.lang)}</span>` : html``;
}

function reason(ctx: PageContext, code: string | null): SafeHtml {
  return code ? html`<span class="reason" title="${code}">${words(REASON_WORDS, code, ctx.i18n.lang)}</span>` : html``;
}

function times(ctx: PageContext, a: Attempt): SafeHtml {
  const { i18n } = ctx;
  const rows: [string, string | null][] = [
    [i18n.t('timeline.created'), a.createdAt],
    [i18n.t('timeline.sent'), a.sentAt],
    [i18n.t('timeline.delivered'), a.deliveredAt],
    [i18n.t('timeline.read'), a.readAt],
    [i18n.t('timeline.finished'), a.finishedAt],
  ];
  return html`<dl class="times">${rows.filter(([, v]) => v).map(([k, v]) => html`<dt>${k}</dt><dd><time datetime="${v}">${i18n.date(v)}</time></dd>`)}</dl>`;
}

function attemptsTable(ctx: PageContext, item: TimelineItem): SafeHtml {
  const { i18n } = ctx;
  if (item.attempts.length === 0) return html``;
  return html`<table class="table attempts"><caption>${i18n.t('timeline.attempts')}</caption>
  <thead><tr><th scope="col">#</th><th scope="col">${i18n.t('timeline.channel')}</th><th scope="col">${i18n.t('timeline.route')}</th><th scope="col">${i18n.t('timeline.sender')}</th><th scope="col">${i18n.t('timeline.status')}</th><th scope="col">${i18n.t('timeline.reason')}</th><th scope="col">${i18n.t('timeline.times')}</th></tr></thead>
  <tbody>${item.attempts.map(
    (a) => html`<tr class="attempt" data-channel="${a.channel}" data-status="${a.status}">
      <td>${a.seq}</td><td>${a.channel.toUpperCase()}</td><td>${a.route ?? ''}${a.bind ? html` <span class="muted">(${a.bind})</span>` : ''}</td><td>${a.sender ?? ''}</td>
      <td>${badge(ctx, a.status)}</td><td>${reason(ctx, a.reason)}</td><td>${times(ctx, a)}</td></tr>`,
  )}</tbody></table>`;
}

function eventsList(ctx: PageContext, events: Event[]): SafeHtml {
  const { i18n } = ctx;
  if (events.length === 0) return html``;
  return html`<details class="events"><summary>${i18n.t('timeline.events')} (${i18n.num(events.length)})</summary><ol>
  ${events.map(
    (e) => html`<li><time datetime="${e.occurredAt}">${i18n.date(e.occurredAt)}</time> · ${sourceName(e.source)} · ${words(EVENT_WORDS, e.type, i18n.lang)}
      ${e.status ? html` ${badge(ctx, e.status)}` : ''} ${reason(ctx, e.reason)}</li>`,
  )}</ol></details>`;
}

/**
 * Opt-outs (an RBM UNSUBSCRIBE, an SMS stop word, a LINE block), opt-ins, LINE links and erasure:
 * what happened to the contact rather than to a message. A reply is in the timeline itself.
 */
function contactEventsList(ctx: PageContext, events: ContactEvent[]): SafeHtml {
  const { i18n } = ctx;
  const shown = events.filter((e) => e.type !== 'inbound.inbound_message');
  if (shown.length === 0) return html``;
  return html`<h3 id="contact-events-h">${i18n.t('timeline.contactEvents')}</h3><ol class="contact-events" aria-labelledby="contact-events-h">
  ${shown.map((e) => html`<li data-type="${e.type}"><time datetime="${e.occurredAt}">${i18n.date(e.occurredAt)}</time> · ${words(CONTACT_EVENT_WORDS, e.type, i18n.lang)} · ${sourceName(e.source)}</li>`)}</ol>`;
}

function body(ctx: PageContext, item: TimelineItem): SafeHtml {
  const { i18n } = ctx;
  if (item.otpHidden) return html`<p class="text masked">${i18n.t('timeline.otpHidden')}</p>`;
  if (item.textRedacted) return html`<p class="text masked">${i18n.t('timeline.textWiped')}</p>`;
  if (item.text === null) return html``;
  const partial = item.partial
    ? html`<p class="notice partial" data-partial="${item.partial.partsReceived ?? ''}/${item.partial.parts ?? ''}">${i18n.t('timeline.partialReply')}${item.partial.parts ? ` (${item.partial.partsReceived ?? '?'} / ${item.partial.parts})` : ''}</p>`
    : html``;
  return html`${partial}<blockquote class="text" lang="ja">${item.text}</blockquote>`;
}

function itemView(ctx: PageContext, item: TimelineItem): SafeHtml {
  const { i18n } = ctx;
  const inbound = item.direction === 'inbound';
  return html`<li class="item ${inbound ? 'inbound' : 'outbound'}" id="m-${item.id}"><article aria-labelledby="h-${item.id}">
  <h3 id="h-${item.id}">${i18n.t(inbound ? 'timeline.inbound' : 'timeline.outbound')}${item.channel ? ` · ${item.channel.toUpperCase()}` : ''}
    ${badge(ctx, item.status)}</h3>
  <p class="meta"><time datetime="${item.createdAt}">${i18n.date(item.createdAt)}</time>
    ${item.category ? html` · ${i18n.t('timeline.category')}: ${words(CATEGORY_WORDS, item.category, i18n.lang)}` : ''}
    · ${i18n.t('timeline.messageId')}: <code>${item.id}</code></p>
  ${item.reason ? html`<p>${i18n.t('timeline.reason')}: ${reason(ctx, item.reason)}</p>` : ''}
  ${item.possibleDuplicate ? html`<p class="alert">${i18n.t('timeline.duplicate')}</p>` : ''}
  ${body(ctx, item)}
  ${attemptsTable(ctx, item)}
  ${callbacksLine(ctx, item)}
  ${eventsList(ctx, item.events)}
  </article></li>`;
}

/** The message's callbacks to the CRM: how many in each state, and the last answer of one not received. */
function callbacksLine(ctx: PageContext, item: TimelineItem): SafeHtml {
  const { i18n } = ctx;
  const summary = item.callbacks;
  if (!summary) return html``;
  const states = (['delivered', 'pending', 'failed', 'cancelled'] as const).filter((s) => summary.counts[s]);
  return html`<p class="callbacks">${i18n.t('timeline.callbacks')}:
    ${states.map((s, i) => html`${i ? ' · ' : ''}<span data-callbacks="${s}">${i18n.t(`callbacks.${s}`)} ${i18n.num(summary.counts[s] ?? 0)}</span>`)}
    ${summary.lastAnswer ? html` (${i18n.t('callbacks.lastAnswer')}: <code>${summary.lastAnswer}</code>)` : ''}</p>`;
}

function revealForm(ctx: PageContext, contactId: string): SafeHtml {
  const { i18n } = ctx;
  return html`<form method="post" action="/console/contacts/${contactId}/reveal" class="form reveal">${csrfField(ctx)}
    <p><label for="reason">${i18n.t('reveal.reason')}</label>
    <input id="reason" name="reason" required minlength="${REVEAL_REASON_MIN}" maxlength="${REVEAL_REASON_MAX}" autocomplete="off"></p>
    <p><button type="submit">${i18n.t('reveal.submit')}</button></p></form>`;
}

function eraseForm(ctx: PageContext, contactId: string): SafeHtml {
  const { i18n } = ctx;
  return html`<form method="post" action="/console/contacts/${contactId}/erase" class="form erase" data-confirm="${i18n.t('erase.confirmDialog')}">${csrfField(ctx)}
    <p class="hint">${i18n.t('erase.explain')}</p>
    <p><label for="erase-reason">${i18n.t('erase.reason')}</label>
    <input id="erase-reason" name="reason" required minlength="${REVEAL_REASON_MIN}" maxlength="${REVEAL_REASON_MAX}" autocomplete="off"></p>
    <p><label class="radio"><input type="checkbox" name="confirm" value="yes" required> ${i18n.t('erase.confirm')}</label></p>
    <p><button type="submit" class="danger">${i18n.t('erase.submit')}</button></p></form>`;
}

export function timelinePage(ctx: PageContext, t: ConsoleTimeline, opts: { revealed?: string; revealError?: boolean; eraseError?: 'needReason' | 'inFlight'; older: boolean }) {
  const { i18n } = ctx;
  const c = t.contact;
  const line = c.lineLinked ? `${i18n.t('timeline.lineLinked')}${c.lineFollowing ? ` · ${i18n.t('timeline.lineFollowing')}` : ''}` : i18n.t('timeline.lineNotLinked');
  return layout(
    ctx,
    i18n.t('timeline.title'),
    html`<section class="card contact" aria-labelledby="contact-h"><h2 id="contact-h">${i18n.t('timeline.contact')}</h2>
  <dl class="facts">
    <dt>${i18n.t('timeline.phone')}</dt><dd>${c.erasedAt ? html`<span class="badge badge-muted" id="erased">${i18n.t('timeline.erased')}</span> ${i18n.date(c.erasedAt)}` : html`<span id="phone-masked">${c.phone}</span>`}</dd>
    ${opts.revealed ? html`<dt>${i18n.t('reveal.shown')}</dt><dd><output id="phone-full" role="status">${opts.revealed}</output></dd>` : ''}
    <dt>${i18n.t('timeline.line')}</dt><dd>${line}</dd>
    <dt>${i18n.t('timeline.optOuts')}</dt><dd>${c.optOuts.length ? c.optOuts.map(sourceName).join(', ') : i18n.t('timeline.none')}</dd>
  </dl>
  ${contactEventsList(ctx, t.contactEvents)}
  ${opts.revealError ? html`<p class="alert" role="alert">${i18n.t('reveal.needReason')}</p>` : ''}
  ${opts.eraseError ? html`<p class="alert" role="alert" id="erase-error">${i18n.t(opts.eraseError === 'inFlight' ? 'erase.inFlight' : 'erase.needReason')}</p>` : ''}
  ${hasRole(ctx.staff, 'admin') && !c.erasedAt ? html`<details class="erase"${opts.eraseError ? html` open` : ''}><summary>${i18n.t('erase.title')}</summary>${eraseForm(ctx, c.id)}</details>` : ''}
  ${hasRole(ctx.staff, 'supervisor') && !opts.revealed && !c.erasedAt ? html`<details class="reveal"${opts.revealError ? html` open` : ''}><summary>${i18n.t('reveal.title')}</summary>${revealForm(ctx, c.id)}</details>` : ''}
</section>
<section aria-labelledby="timeline-h"><h2 id="timeline-h">${i18n.t('timeline.title')}</h2>
${t.items.length ? html`<ol class="timeline">${t.items.map((item) => itemView(ctx, item))}</ol>` : html`<p>${i18n.t('timeline.empty')}</p>`}
<nav class="pager" aria-label="${i18n.t('search.page')}">
  ${opts.older ? html`<a href="/console/contacts/${c.id}">${i18n.t('timeline.newest')}</a>` : ''}
  ${t.nextCursor ? html`<a href="/console/contacts/${c.id}?before=${encodeURIComponent(t.nextCursor)}" rel="next">${i18n.t('timeline.older')}</a>` : ''}
</nav></section>`,
  );
}
