import { PageContext } from '../http/console-request';
import { html } from './html';
import { layout } from './layout.view';

export function errorPage(ctx: PageContext, message: string) {
  return layout(ctx, message, html`<p role="alert">${message}</p><p><a href="/console/search">${ctx.i18n.t('error.back')}</a></p>`);
}
