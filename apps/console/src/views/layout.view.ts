import { PageContext, hasRole } from '../http/console-request';
import { SafeHtml, html } from './html';

function navLink(ctx: PageContext, href: string, label: string): SafeHtml {
  const current = ctx.path === href || ctx.path.startsWith(`${href}/`);
  return html`<li><a href="${href}"${current ? html` aria-current="page"` : ''}>${label}</a></li>`;
}

/** The hidden synchronizer token every console form carries. */
export function csrfField(ctx: PageContext): SafeHtml {
  return ctx.csrf ? html`<input type="hidden" name="_csrf" value="${ctx.csrf}">` : html``;
}

/** Page shell: skip link, banner, navigation, main and footer landmarks; no inline script or style. */
export function layout(ctx: PageContext, title: string, body: SafeHtml): SafeHtml {
  const { i18n, staff } = ctx;
  const other = i18n.lang === 'ja' ? 'en' : 'ja';
  // An account still on a generated password reaches only the password form: no links elsewhere.
  const nav = staff
    ? html`<nav aria-label="${i18n.t('nav.main')}"><ul class="nav">${staff.mustChangePassword ? '' : html`
        ${navLink(ctx, '/console/search', i18n.t('nav.search'))}
        ${hasRole(staff, 'supervisor') ? navLink(ctx, '/console/audit', i18n.t('nav.audit')) : ''}
        ${hasRole(staff, 'supervisor') ? navLink(ctx, '/console/ops', i18n.t('nav.ops')) : ''}
        ${hasRole(staff, 'admin') ? navLink(ctx, '/console/admin', i18n.t('nav.admin')) : ''}`}
      </ul></nav>
      <div class="who"><span class="who-email">${staff.email}</span> <span class="badge badge-role">${i18n.t(`role.${staff.role}`)}</span>
        <a href="/console/password"${ctx.path === '/console/password' ? html` aria-current="page"` : ''}>${i18n.t('nav.password')}</a>
        <form method="post" action="/console/logout" class="inline">${csrfField(ctx)}<button type="submit" class="link-button">${i18n.t('nav.signOut')}</button></form>
      </div>`
    : html``;
  return html`<html lang="${i18n.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} — ${i18n.t('app.title')}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">${i18n.t('nav.skip')}</a>
<header class="banner">
  <p class="brand"><a href="/console">${i18n.t('app.title')}</a></p>
  ${nav}
  <p class="lang"><a href="${ctx.langHref(other)}" lang="${other}" hreflang="${other}" aria-label="${i18n.t('nav.language')}: ${other === 'ja' ? '日本語' : 'English'}">${other === 'ja' ? '日本語' : 'English'}</a></p>
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
<footer class="footer"><p>Tsunagu 繋ぐ</p></footer>
</body>
</html>`;
}
