import { randomBytes } from 'node:crypto';
import { Controller, Get, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Response } from 'express';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { safeEqual } from '@tsunagu/security';
import { AuditService } from '../audit/audit.service';
import { ConsoleAuthGuard, OpenBeforePasswordChange } from '../http/console-auth.guard';
import { ConsoleFilter } from '../http/console.filter';
import { ConsoleRequest, LOGIN_CSRF_COOKIE, SESSION_COOKIE, actorOf, cookie, isHttps, pageContext, readCookie, sendHtml } from '../http/console-request';
import { SESSION_MAX_MS, SessionService } from '../sessions/session.service';
import { StaffService } from '../staff/staff.service';
import { loginPage } from '../views/login.view';

function field(req: ConsoleRequest, name: string, max = 256): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

/**
 * Sign-in and sign-out. The sign-in form is protected by a double-submit token (there is no
 * session yet); a success rotates everything: a fresh session token and a fresh CSRF token.
 */
@ApiExcludeController()
@UseFilters(ConsoleFilter)
@Controller('console')
export class AuthController {
  constructor(
    private readonly staff: StaffService,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  @Get()
  async home(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const signedIn = await this.sessions.resolve(readCookie(req, SESSION_COOKIE, this.secure(req)));
    res.redirect(303, signedIn ? '/console/search' : '/console/login');
  }

  @Get('login')
  login(@Req() req: ConsoleRequest, @Res() res: Response): void {
    this.renderLogin(req, res, 200);
  }

  @Post('login')
  async signIn(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const expected = readCookie(req, LOGIN_CSRF_COOKIE, this.secure(req));
    const submitted = field(req, '_csrf');
    const ctx = pageContext(req, res);
    if (!expected || !submitted || !safeEqual(expected, submitted)) {
      this.renderLogin(req, res, 403, ctx.i18n.t('login.expired'));
      return;
    }
    const tenant = field(req, 'tenant', 64);
    const email = field(req, 'email', 254);
    const result = await this.staff.signIn(tenant, email, field(req, 'password'), req.ip);
    if (!result.ok) {
      // A wrong password on a real account is the account owner's business and the reviewer's:
      // audited, with whether it locked the account. Attempts on a locked or unknown account check
      // no password and write nothing, so guessing cannot grow the log without bound.
      const account = result.wrongPassword;
      if (account) {
        await this.audit.record({ tenantId: account.tenantId, actor: actorOf(account), action: 'staff.login_failed', subjectType: 'staff', subjectId: account.id, detail: { locked: result.locked } });
      }
      this.renderLogin(req, res, 401, ctx.i18n.t('login.failed'), { tenant, email });
      return;
    }
    // No session fixation: whatever session the browser had ends; a fresh token starts.
    await this.sessions.destroy(readCookie(req, SESSION_COOKIE, this.secure(req)));
    const started = await this.sessions.create(result.staff);
    if (!started) {
      // The password was changed or reset, or the account disabled, while it was being checked.
      this.renderLogin(req, res, 401, ctx.i18n.t('login.failed'), { tenant, email });
      return;
    }
    const { token } = started;
    const secure = this.secure(req);
    await this.audit.record({ tenantId: result.staff.tenantId, actor: actorOf(result.staff), action: 'staff.login', subjectType: 'staff', subjectId: result.staff.id });
    res.append('Set-Cookie', cookie(SESSION_COOKIE, token, { secure, maxAgeSeconds: SESSION_MAX_MS / 1000 }));
    res.append('Set-Cookie', cookie(LOGIN_CSRF_COOKIE, '', { secure, maxAgeSeconds: 0 }));
    res.redirect(303, '/console/search');
  }

  @Post('logout')
  @UseGuards(ConsoleAuthGuard)
  @OpenBeforePasswordChange()
  async signOut(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    await this.sessions.destroy(readCookie(req, SESSION_COOKIE, this.secure(req)));
    const me = req.staff!;
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'staff.logout', subjectType: 'staff', subjectId: me.id });
    res.append('Set-Cookie', cookie(SESSION_COOKIE, '', { secure: this.secure(req), maxAgeSeconds: 0 }));
    res.redirect(303, '/console/login');
  }

  private renderLogin(req: ConsoleRequest, res: Response, status: number, error?: string, values: { tenant?: string; email?: string } = {}): void {
    const csrf = randomBytes(32).toString('base64url');
    res.append('Set-Cookie', cookie(LOGIN_CSRF_COOKIE, csrf, { secure: this.secure(req), maxAgeSeconds: 3600 }));
    sendHtml(res, status, loginPage(pageContext(req, res), { csrf, error, ...values }));
  }

  /** Served as https: Secure cookies under their `__Host-` names, read back by those names only. */
  private secure(req: ConsoleRequest): boolean {
    return isHttps(req, this.config.publicUrl);
  }
}
