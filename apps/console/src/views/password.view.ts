import { PageContext } from '../http/console-request';
import { MessageKey } from '../i18n/messages';
import { PasswordProblem } from '../staff/staff.service';
import { html } from './html';
import { csrfField, layout } from './layout.view';

const PROBLEM_KEYS: Record<PasswordProblem, MessageKey> = {
  current: 'password.problem.current',
  mismatch: 'password.problem.mismatch',
  length: 'password.problem.length',
  same: 'password.problem.same',
  personal: 'password.problem.personal',
  breached: 'password.problem.breached',
};

export function passwordPage(ctx: PageContext, opts: { required: boolean; problem?: PasswordProblem }) {
  const { i18n } = ctx;
  const described = [opts.required ? 'password-required' : '', opts.problem ? 'password-error' : ''].filter(Boolean).join(' ');
  return layout(
    ctx,
    i18n.t('password.title'),
    html`${opts.required ? html`<p class="notice" id="password-required">${i18n.t('password.required')}</p>` : ''}
${opts.problem ? html`<p class="alert" role="alert" id="password-error">${i18n.t(PROBLEM_KEYS[opts.problem])}</p>` : ''}
<form method="post" action="/console/password" class="card form"${described ? html` aria-describedby="${described}"` : ''}>${csrfField(ctx)}
  <p><label for="current">${i18n.t('password.current')}</label>
  <input id="current" name="current" type="password" required maxlength="256" autocomplete="current-password"></p>
  <p><label for="next">${i18n.t('password.next')}</label>
  <input id="next" name="next" type="password" required minlength="12" maxlength="256" autocomplete="new-password" aria-describedby="next-hint"></p>
  <p class="hint" id="next-hint">${i18n.t('password.hint')}</p>
  <p><label for="repeat">${i18n.t('password.repeat')}</label>
  <input id="repeat" name="repeat" type="password" required minlength="12" maxlength="256" autocomplete="new-password"></p>
  <p><button type="submit">${i18n.t('password.submit')}</button></p>
</form>`,
  );
}
