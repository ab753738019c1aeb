import { PageContext } from '../http/console-request';
import { Fact } from '../ops/health-facts';
import { Backlog, ChannelHealthRow, RateRow } from '../ops/ops.service';
import { REASON_WORDS, STATE_WORDS, badgeClass, words } from '../i18n/states';
import { SafeHtml, html } from './html';
import { layout } from './layout.view';

/** A server-rendered SVG bar chart (presentation attributes only: allowed under the CSP). */
export function rateChart(ctx: PageContext, rates: RateRow[]): SafeHtml {
  const { i18n } = ctx;
  const barH = 28;
  const gap = 12;
  const left = 70;
  const width = 520;
  const plot = width - left - 140;
  const height = Math.max(1, rates.length) * (barH + gap) + gap;
  const bars = rates.map((r, i) => {
    const pct = r.total ? r.delivered / r.total : 0;
    const y = gap + i * (barH + gap);
    const w = Math.round(plot * pct);
    return html`<g><text x="${left - 8}" y="${y + barH / 2 + 5}" text-anchor="end" font-size="14" fill="#1f2933">${r.channel.toUpperCase()}</text>
      <rect x="${left}" y="${y}" width="${plot}" height="${barH}" fill="#e4e7eb"></rect>
      <rect x="${left}" y="${y}" width="${w}" height="${barH}" fill="#1d6f42"></rect>
      <text x="${left + plot + 8}" y="${y + barH / 2 + 5}" font-size="14" fill="#1f2933">${i18n.num(Math.round(pct * 1000) / 10)}% (${i18n.num(r.delivered)}/${i18n.num(r.total)})</text></g>`;
  });
  return html`<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
    <title id="chart-title">${i18n.t('ops.chartLabel')}</title>${bars}</svg>`;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A worker's (or the console's own) detail as facts: times in the console's zone, the rest as reported. */
function factList(ctx: PageContext, facts: Fact[]): SafeHtml {
  if (facts.length === 0) return html`<span class="muted">—</span>`;
  const shown = (v: Fact[1]) => (v === null ? '—' : typeof v === 'string' && ISO_TIME.test(v) ? ctx.i18n.date(v) : typeof v === 'number' ? ctx.i18n.num(v) : String(v));
  return html`<dl class="facts facts-small">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${shown(v)}</dd>`)}</dl>`;
}

const stateBadge = (ctx: PageContext, up: boolean, label = '') =>
  html`<span class="${up ? 'badge badge-ok' : 'badge badge-bad'}">${label}${ctx.i18n.t(up ? 'ops.up' : 'ops.down')}</span>`;

function healthSection(ctx: PageContext, health: ChannelHealthRow[]): SafeHtml {
  const { i18n } = ctx;
  return html`${health.map(
    (h) => html`<section class="health" data-channel="${h.channel}" aria-labelledby="health-${h.channel}">
  <h3 id="health-${h.channel}">${stateBadge(ctx, h.up, `${h.channel.toUpperCase()}: `)}</h3>
  ${h.workers.length === 0
    ? html`<p class="hint">${i18n.t('ops.noWorker')}</p>${factList(ctx, h.facts)}`
    : html`<table class="table"><thead><tr><th scope="col">${i18n.t('ops.worker')}</th><th scope="col">${i18n.t('ops.state')}</th><th scope="col">${i18n.t('ops.reportedAt')}</th><th scope="col">${i18n.t('ops.detail')}</th></tr></thead>
  <tbody>${h.workers.map((w) => html`<tr data-worker="${w.worker}"><th scope="row"><code>${w.worker}</code></th><td>${stateBadge(ctx, w.up)}</td><td>${i18n.date(w.at)}</td><td>${factList(ctx, w.facts)}</td></tr>`)}</tbody></table>`}
</section>`,
  )}`;
}

function backlogSection(ctx: PageContext, backlog: Backlog): SafeHtml {
  const { i18n } = ctx;
  return html`<p class="hint">${i18n.t('ops.backlogScope')}</p>
  <table class="table queues"><thead><tr><th scope="col">${i18n.t('ops.queue')}</th><th scope="col" class="num">${i18n.t('ops.waiting')}</th><th scope="col" class="num">${i18n.t('ops.active')}</th><th scope="col" class="num">${i18n.t('ops.delayed')}</th></tr></thead>
  <tbody>${backlog.queues.map((q) => html`<tr data-queue="${q.name}"><th scope="row">${q.name}</th><td class="num">${i18n.num(q.waiting)}</td><td class="num">${i18n.num(q.active)}</td><td class="num">${i18n.num(q.delayed)}</td></tr>`)}</tbody></table>
  <h3>${i18n.t('ops.lastFailed')}</h3>
  ${backlog.recentFailures.length === 0
    ? html`<p>${i18n.t('ops.noFailed')}</p>`
    : html`<table class="table failures"><thead><tr><th scope="col">${i18n.t('timeline.channel')}</th><th scope="col">${i18n.t('ops.message')}</th><th scope="col">${i18n.t('ops.failedReason')}</th><th scope="col">${i18n.t('audit.when')}</th></tr></thead>
      <tbody>${backlog.recentFailures.map((f) => html`<tr data-attempt="${f.attemptId}"><td>${f.channel.toUpperCase()}</td><td><a href="/console/messages/${f.messageId}"><code>${f.messageId}</code></a></td><td><span class="${badgeClass(f.status)}">${words(STATE_WORDS, f.status, i18n.lang)}</span>${f.reason ? html` <span class="reason" title="${f.reason}">${words(REASON_WORDS, f.reason, i18n.lang)}</span>` : ''}</td><td>${i18n.date(f.at)}</td></tr>`)}</tbody></table>`}`;
}

export function opsPage(ctx: PageContext, data: { health: ChannelHealthRow[]; backlog: Backlog | null; rates: RateRow[] }) {
  const { i18n } = ctx;
  return layout(
    ctx,
    i18n.t('ops.title'),
    html`<section aria-labelledby="health-h"><h2 id="health-h">${i18n.t('ops.health')}</h2>${healthSection(ctx, data.health)}</section>
<section aria-labelledby="rates-h"><h2 id="rates-h">${i18n.t('ops.rates')}</h2>
  ${data.rates.length ? rateChart(ctx, data.rates) : html`<p>${i18n.t('admin.none')}</p>`}
  <table class="table"><thead><tr><th scope="col">${i18n.t('timeline.channel')}</th><th scope="col" class="num">${i18n.t('ops.attempts')}</th><th scope="col" class="num">${i18n.t('ops.deliveredPct')}</th><th scope="col" class="num">${i18n.t('ops.failedJobs')}</th></tr></thead>
  <tbody>${data.rates.map((r) => html`<tr data-channel="${r.channel}"><th scope="row">${r.channel.toUpperCase()}${r.sentIsFinal ? html` <span class="hint">(${i18n.t('ops.sentIsFinal')})</span>` : ''}</th><td class="num">${i18n.num(r.total)}</td><td class="num">${i18n.num(r.delivered)}</td><td class="num">${i18n.num(r.failed)}</td></tr>`)}</tbody></table>
</section>
${data.backlog ? html`<section aria-labelledby="queues-h"><h2 id="queues-h">${i18n.t('ops.queues')}</h2>${backlogSection(ctx, data.backlog)}</section>` : ''}`,
  );
}
