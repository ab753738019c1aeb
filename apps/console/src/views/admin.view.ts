import { ApiKeyEntity } from '@tsunagu/database';
import { SenderAdminService } from '@tsunagu/engine';
import type { PolicyDefaults } from '@tsunagu/config';
import { PageContext } from '../http/console-request';
import { MessageKey } from '../i18n/messages';
import { SENDER_WORDS, words } from '../i18n/states';
import { CONSOLE_KEY_SCOPES, KEY_EXPIRY_DAYS } from '../admin/admin.service';
import { STAFF_ROLES, StaffListing } from '../staff/staff.service';
import { SafeHtml, html } from './html';
import { csrfField, layout } from './layout.view';

type Sender = Awaited<ReturnType<SenderAdminService['list']>>[number];

export interface AdminData {
  staff: StaffListing[];
  senders: Sender[];
  keys: ApiKeyEntity[];
  /** The policy in effect for this tenant (the file's defaults with its overrides), read-only here. */
  policy: PolicyDefaults;
  callbackUrl: string | null;
  /** Callbacks that failed or ended with no URL in the last 24 hours: what the recovery button sends again. */
  failedCallbacks: number;
  /** After a recovery: how many were sent again, and whether more remain (`after`: where the next press goes on). */
  recovered?: { count: number; after: string | null };
  /** Shown once after creating an account or a key. */
  createdPassword?: { email: string; password: string; reset?: boolean };
  createdKey?: string;
}

function postButton(ctx: PageContext, action: string, label: string, confirm = false): SafeHtml {
  return html`<form method="post" action="${action}" class="inline"${confirm ? html` data-confirm="${ctx.i18n.t('admin.confirm')}"` : ''}>${csrfField(ctx)}<button type="submit" class="small">${label}</button></form>`;
}

function staffState(ctx: PageContext, s: StaffListing): string {
  if (s.disabledAt) return ctx.i18n.t('admin.disabled');
  if (s.locked) return ctx.i18n.t('admin.locked');
  return ctx.i18n.t('admin.active');
}

function staffSection(ctx: PageContext, d: AdminData): SafeHtml {
  const { i18n } = ctx;
  return html`<section aria-labelledby="staff-h" class="card"><h2 id="staff-h">${i18n.t('admin.staff')}</h2>
  ${d.createdPassword ? html`<p class="notice" role="status">${i18n.t(d.createdPassword.reset ? 'admin.reset' : 'admin.created')} <strong>${d.createdPassword.email}</strong> <code class="secret">${d.createdPassword.password}</code></p>` : ''}
  <table class="table"><thead><tr><th scope="col">${i18n.t('admin.email')}</th><th scope="col">${i18n.t('admin.role')}</th><th scope="col">${i18n.t('admin.state')}</th><th scope="col"><span class="visually-hidden">${i18n.t('admin.state')}</span></th></tr></thead>
  <tbody>${d.staff.map(
    (s) => html`<tr><td>${s.email}</td><td>${i18n.t(`role.${s.role}` as MessageKey)}</td><td>${staffState(ctx, s)}</td><td>
      ${s.locked && !s.disabledAt ? postButton(ctx, `/console/admin/staff/${s.id}/unlock`, i18n.t('admin.unlock')) : ''}
      ${!s.disabledAt && s.id !== ctx.staff?.id ? postButton(ctx, `/console/admin/staff/${s.id}/reset-password`, i18n.t('admin.resetPassword'), true) : ''}
      ${!s.disabledAt && s.id !== ctx.staff?.id ? postButton(ctx, `/console/admin/staff/${s.id}/disable`, i18n.t('admin.disable'), true) : ''}</td></tr>`,
  )}</tbody></table>
  <form method="post" action="/console/admin/staff" class="form row">${csrfField(ctx)}
    <p><label for="new-email">${i18n.t('admin.email')}</label><input id="new-email" name="email" type="email" required maxlength="254" autocomplete="off"></p>
    <p><label for="new-role">${i18n.t('admin.role')}</label><select id="new-role" name="role">${STAFF_ROLES.map((r) => html`<option value="${r}">${i18n.t(`role.${r}` as MessageKey)}</option>`)}</select></p>
    <p><button type="submit">${i18n.t('admin.create')}</button></p>
  </form></section>`;
}

function sendersSection(ctx: PageContext, d: AdminData): SafeHtml {
  const { i18n } = ctx;
  return html`<section aria-labelledby="senders-h" class="card"><h2 id="senders-h">${i18n.t('admin.senders')}</h2>
  <p class="muted">${i18n.t('admin.sendersNote')}</p>
  ${d.senders.length === 0
    ? html`<p>${i18n.t('admin.none')}</p>`
    : html`<table class="table"><thead><tr><th scope="col">${i18n.t('admin.address')}</th><th scope="col">${i18n.t('admin.routes')}</th><th scope="col">${i18n.t('admin.state')}</th><th scope="col"><span class="visually-hidden">${i18n.t('admin.state')}</span></th></tr></thead>
    <tbody>${d.senders.map(
      (s) => html`<tr><td>${s.address} <span class="muted">(${words(SENDER_WORDS, s.kind, i18n.lang)})</span></td><td>${s.routes.join(', ')}</td><td data-state="${s.state}">${words(SENDER_WORDS, s.state, i18n.lang)}</td><td>
        ${s.state !== 'suspended' ? postButton(ctx, `/console/admin/senders/${s.id}/suspend`, i18n.t('admin.suspend'), true) : ''}</td></tr>`,
    )}</tbody></table>`}</section>`;
}

function keysSection(ctx: PageContext, d: AdminData): SafeHtml {
  const { i18n } = ctx;
  return html`<section aria-labelledby="keys-h" class="card"><h2 id="keys-h">${i18n.t('admin.apiKeys')}</h2>
  ${d.createdKey ? html`<p class="notice" role="status">${i18n.t('admin.keyCreated')} <code class="secret">${d.createdKey}</code></p>` : ''}
  ${d.keys.length === 0
    ? html`<p>${i18n.t('admin.none')}</p>`
    : html`<table class="table"><thead><tr><th scope="col">${i18n.t('admin.keyId')}</th><th scope="col">${i18n.t('admin.name')}</th><th scope="col">${i18n.t('admin.scopes')}</th><th scope="col">${i18n.t('admin.networks')}</th><th scope="col">${i18n.t('admin.lastUsed')}</th><th scope="col">${i18n.t('admin.expires')}</th><th scope="col">${i18n.t('admin.state')}</th></tr></thead>
    <tbody>${d.keys.map(
      (k) => html`<tr data-key="${k.id}"><td><code>${k.id}</code></td><td>${k.name}</td><td>${k.scopes.join(', ')}</td><td>${k.allowedNetworks.length ? k.allowedNetworks.join(', ') : i18n.t('admin.anyNetwork')}</td><td>${i18n.date(k.lastUsedAt)}</td><td>${k.expiresAt ? i18n.date(k.expiresAt) : i18n.t('admin.never')}</td>
        <td>${k.revokedAt ? i18n.t('admin.revoked') : k.expiresAt && k.expiresAt <= new Date() ? i18n.t('admin.expired') : postButton(ctx, `/console/admin/keys/${encodeURIComponent(k.id)}/revoke`, i18n.t('admin.revoke'), true)}</td></tr>`,
    )}</tbody></table>`}
  <form method="post" action="/console/admin/keys" class="form row">${csrfField(ctx)}
    <p><label for="key-name">${i18n.t('admin.name')}</label><input id="key-name" name="name" maxlength="64" autocomplete="off"></p>
    <fieldset><legend>${i18n.t('admin.scopes')}</legend>${CONSOLE_KEY_SCOPES.map((s) => html`<label class="radio"><input type="checkbox" name="scopes" value="${s}"> ${s}</label>`)}</fieldset>
    <p><label for="key-networks">${i18n.t('admin.networks')}</label><input id="key-networks" name="networks" maxlength="2000" autocomplete="off" placeholder="203.0.113.0/24, 2001:db8::/32" aria-describedby="key-networks-hint"></p>
    <p class="hint" id="key-networks-hint">${i18n.t('admin.networksHint')}</p>
    <p><label for="key-expires">${i18n.t('admin.expires')}</label><select id="key-expires" name="expires">${KEY_EXPIRY_DAYS.map((n) => html`<option value="${n}"${n === 90 ? html` selected` : ''}>${i18n.num(n)} ${i18n.t('admin.days')}</option>`)}<option value="never">${i18n.t('admin.never')}</option></select></p>
    <p><button type="submit">${i18n.t('admin.newKey')}</button></p>
  </form></section>`;
}

/**
 * The CRM's status callbacks: how many failed (or ended with no URL) in the last 24 hours, and a
 * button that sends them again (`POST /v1/callbacks/recover` without an API key in hand).
 */
function callbacksSection(ctx: PageContext, d: AdminData): SafeHtml {
  const { i18n } = ctx;
  const r = d.recovered;
  return html`<section aria-labelledby="callbacks-h" class="card"><h2 id="callbacks-h">${i18n.t('admin.callbacks')}</h2>
  ${r ? html`<p class="notice" role="status" data-recovered="${r.count}">${i18n.t('admin.callbacksRecovered')} ${i18n.num(r.count)}${r.after ? html` ${i18n.t('admin.callbacksMore')}` : ''}</p>` : ''}
  <dl class="facts"><dt>${i18n.t('admin.callbacksFailed')}</dt><dd data-failed-callbacks="${d.failedCallbacks}">${i18n.num(d.failedCallbacks)}</dd></dl>
  <p class="hint">${i18n.t('admin.callbacksHint')}</p>
  ${d.failedCallbacks > 0 || r?.after
    ? html`<form method="post" action="/console/admin/callbacks/recover" class="inline">${csrfField(ctx)}${r?.after ? html`<input type="hidden" name="after" value="${r.after}">` : ''}<button type="submit" class="small">${i18n.t('admin.callbacksRecover')}</button></form>`
    : ''}
  </section>`;
}

/** What the engine does for this tenant: set in the configuration file by the operator, shown so staff need not ask. */
function policySection(ctx: PageContext, d: AdminData): SafeHtml {
  const { i18n } = ctx;
  const p = d.policy;
  const order = (cat: keyof PolicyDefaults['order']) => p.order[cat].map((c) => c.toUpperCase()).join(' → ');
  const timeouts = Object.entries(p.timeouts).map(([c, s]) => `${c.toUpperCase()} ${i18n.num(s)}s`).join(', ');
  return html`<section aria-labelledby="policy-h" class="card"><h2 id="policy-h">${i18n.t('admin.policy')}</h2>
  <p class="hint">${i18n.t('admin.policyHint')}</p>
  <dl class="facts" id="policy">
    <dt>OTP</dt><dd>${order('otp')}</dd>
    <dt>${i18n.t('admin.policyTransactional')}</dt><dd>${order('transactional')}</dd>
    <dt>${i18n.t('admin.policyMarketing')}</dt><dd>${order('marketing')}</dd>
    <dt>${i18n.t('admin.policyTimeouts')}</dt><dd>${timeouts}</dd>
    <dt>${i18n.t('admin.policySuccess')}</dt><dd>${p.successOn}</dd>
    <dt>${i18n.t('admin.policyQuiet')}</dt><dd>${p.quietHours.start}–${p.quietHours.end} (${p.quietHours.timezone})</dd>
    <dt>${i18n.t('admin.policyInternational')}</dt><dd>${i18n.t(p.allowInternational ? 'admin.yes' : 'admin.no')}</dd>
    <dt>${i18n.t('admin.policyCallback')}</dt><dd>${d.callbackUrl ?? i18n.t('admin.none')}</dd>
  </dl></section>`;
}

export function adminPage(ctx: PageContext, d: AdminData) {
  return layout(ctx, ctx.i18n.t('admin.title'), html`${staffSection(ctx, d)}${sendersSection(ctx, d)}${keysSection(ctx, d)}${callbacksSection(ctx, d)}${policySection(ctx, d)}`);
}
