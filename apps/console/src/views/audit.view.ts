import { AuditEntity } from '@tsunagu/database';
import { PageContext } from '../http/console-request';
import { AuditFilter } from '../audit/audit.service';
import { MessageKey } from '../i18n/messages';
import { html } from './html';
import { layout } from './layout.view';

export function auditQuery(filter: AuditFilter): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

function actionWords(ctx: PageContext, action: string): string {
  const key = `action.${action}` as MessageKey;
  const text = ctx.i18n.t(key);
  return text ?? action;
}

export function auditPage(ctx: PageContext, filter: AuditFilter, actions: string[], rows: AuditEntity[]) {
  const { i18n } = ctx;
  return layout(
    ctx,
    i18n.t('audit.title'),
    html`<form method="get" action="/console/audit" class="card form filters" role="search">
  <p><label for="actor">${i18n.t('audit.actor')}</label><input id="actor" name="actor" maxlength="200" value="${filter.actor ?? ''}"></p>
  <p><label for="action">${i18n.t('audit.action')}</label><select id="action" name="action">
    <option value="">${i18n.t('audit.any')}</option>
    ${actions.map((a) => html`<option value="${a}"${a === filter.action ? html` selected` : ''}>${actionWords(ctx, a)} (${a})</option>`)}
  </select></p>
  <p><label for="from">${i18n.t('audit.from')}</label><input id="from" name="from" type="date" value="${filter.from ?? ''}"></p>
  <p><label for="to">${i18n.t('audit.to')}</label><input id="to" name="to" type="date" value="${filter.to ?? ''}"></p>
  <p><button type="submit">${i18n.t('audit.filter')}</button> <a class="button-link" href="/console/audit/csv${auditQuery(filter)}" download>${i18n.t('audit.csv')}</a></p>
</form>
${rows.length === 0
  ? html`<p role="status">${i18n.t('audit.empty')}</p>`
  : html`<table class="table audit"><thead><tr><th scope="col">${i18n.t('audit.when')}</th><th scope="col">${i18n.t('audit.actor')}</th><th scope="col">${i18n.t('audit.action')}</th><th scope="col">${i18n.t('audit.subject')}</th><th scope="col">${i18n.t('audit.reason')}</th></tr></thead>
  <tbody>${rows.map(
    (r) => html`<tr data-action="${r.action}"><td><time datetime="${r.createdAt.toISOString()}">${i18n.date(r.createdAt)}</time></td><td>${r.actor}</td><td>${actionWords(ctx, r.action)}</td>
      <td>${r.subjectType === 'contact' ? html`<a href="/console/contacts/${r.subjectId}">${r.subjectType}:${r.subjectId}</a>` : r.subjectType === 'message' ? html`<a href="/console/messages/${r.subjectId}">${r.subjectType}:${r.subjectId}</a>` : `${r.subjectType}:${r.subjectId}`}</td><td>${r.reason ?? ''}</td></tr>`,
  )}</tbody></table>`}`,
  );
}
