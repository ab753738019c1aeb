import { PageContext } from '../http/console-request';
import { html } from './html';
import { layout } from './layout.view';

export function loginPage(ctx: PageContext, opts: { csrf: string; error?: string; tenant?: string; email?: string }) {
  const { i18n } = ctx;
  return layout(
    ctx,
    i18n.t('login.title'),
    html`${opts.error ? html`<p class="alert" role="alert" id="login-error">${opts.error}</p>` : ''}
<form method="post" action="/console/login" class="card form"${opts.error ? html` aria-describedby="login-error"` : ''}>
  <input type="hidden" name="_csrf" value="${opts.csrf}">
  <p><label for="tenant">${i18n.t('login.tenant')}</label>
  <input id="tenant" name="tenant" required maxlength="64" autocomplete="organization" value="${opts.tenant ?? ''}"></p>
  <p><label for="email">${i18n.t('login.email')}</label>
  <input id="email" name="email" type="email" required maxlength="254" autocomplete="username" value="${opts.email ?? ''}"></p>
  <p><label for="password">${i18n.t('login.password')}</label>
  <input id="password" name="password" type="password" required maxlength="256" autocomplete="current-password"></p>
  <p><button type="submit">${i18n.t('login.submit')}</button></p>
</form>`,
  );
}
