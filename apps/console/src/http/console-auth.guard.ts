import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { StaffRole } from '@tsunagu/database';
import { SessionService } from '../sessions/session.service';
import { ConsoleForbidden, ConsoleSignInRequired, CsrfRejected, PasswordChangeRequired } from './console-errors';
import { ConsoleRequest, SESSION_COOKIE, hasRole, isHttps, readCookie } from './console-request';

const ROLE_KEY = 'tsunagu:console-role';
/** The least role a route needs: agent < supervisor < admin. */
export const RequireRole = (role: StaffRole) => SetMetadata(ROLE_KEY, role);

const OPEN_BEFORE_PASSWORD_KEY = 'tsunagu:console-open-before-password';
/** A route an account that must change its password may still use (the password form, sign-out). */
export const OpenBeforePasswordChange = () => SetMetadata(OPEN_BEFORE_PASSWORD_KEY, true);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every console route but sign-in: a live session from the cookie, the route's role, and on every
 * state-changing method the session's synchronizer token in the form (`_csrf`) or `x-csrf-token`.
 * An account still on a generated password reaches only the password form and sign-out.
 */
@Injectable()
export class ConsoleAuthGuard implements CanActivate {
  constructor(
    private readonly sessions: SessionService,
    private readonly reflector: Reflector,
    @Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ConsoleRequest>();
    // Only the name this request's cookie was set under: over https, the `__Host-` one.
    const found = await this.sessions.resolve(readCookie(req, SESSION_COOKIE, isHttps(req, this.config.publicUrl)));
    if (!found) throw new ConsoleSignInRequired();
    req.staff = found.staff;
    req.staffSession = found.session;
    if (!SAFE_METHODS.has(req.method)) {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const submitted = body._csrf ?? req.headers['x-csrf-token'];
      if (!this.sessions.checkCsrf(found.session, submitted)) throw new CsrfRejected();
    }
    if (found.staff.mustChangePassword && !this.reflector.getAllAndOverride<boolean | undefined>(OPEN_BEFORE_PASSWORD_KEY, [context.getHandler(), context.getClass()])) {
      throw new PasswordChangeRequired();
    }
    const role = this.reflector.getAllAndOverride<StaffRole | undefined>(ROLE_KEY, [context.getHandler(), context.getClass()]) ?? 'agent';
    if (!hasRole(found.staff, role)) throw new ConsoleForbidden();
    return true;
  }
}
