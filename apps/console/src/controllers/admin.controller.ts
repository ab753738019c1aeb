import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Response } from 'express';
import { DomainError } from '@tsunagu/core';
import { StaffRole } from '@tsunagu/database';
import { CallbackLogService, SenderAdminService, TenantSettingsService } from '@tsunagu/engine';
import { ApiKeysService, CONSOLE_KEY_SCOPES, KEY_EXPIRY_DAYS } from '../admin/admin.service';
import { AuditService } from '../audit/audit.service';
import { ConsoleAuthGuard, RequireRole } from '../http/console-auth.guard';
import { ConsoleFilter } from '../http/console.filter';
import { ConsoleRequest, actorOf, pageContext, sendHtml } from '../http/console-request';
import { STAFF_ROLES, StaffService } from '../staff/staff.service';
import { AdminData, adminPage } from '../views/admin.view';

/** The console's recovery reaches back one retry period: what failed since the CRM went down, for the usual outage. */
const RECOVER_WINDOW_MS = 24 * 3_600_000;

function body(req: ConsoleRequest): Record<string, unknown> {
  return (req.body as Record<string, unknown> | undefined) ?? {};
}

/** Admins only: staff accounts, sender addresses and API keys of their own tenant. */
@ApiExcludeController()
@UseFilters(ConsoleFilter)
@UseGuards(ConsoleAuthGuard)
@RequireRole('admin')
@Controller('console/admin')
export class AdminController {
  constructor(
    private readonly staff: StaffService,
    private readonly senders: SenderAdminService,
    private readonly keys: ApiKeysService,
    private readonly audit: AuditService,
    private readonly tenants: TenantSettingsService,
    private readonly callbacks: CallbackLogService,
  ) {}

  @Get()
  async page(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    await this.render(req, res, 200, {});
  }

  @Post('staff')
  async createStaff(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const b = body(req);
    const email = typeof b.email === 'string' ? b.email.slice(0, 254) : '';
    const role = (STAFF_ROLES as string[]).includes(String(b.role)) ? (b.role as StaffRole) : null;
    if (!role) throw new DomainError('VALIDATION_FAILED', 'Unknown role.');
    const me = req.staff!;
    const created = await this.staff.create(me.tenantId, email, role);
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'staff.create', subjectType: 'staff', subjectId: created.id, detail: { role } });
    await this.render(req, res, 201, { createdPassword: { email: email.trim().toLowerCase(), password: created.password } });
  }

  @Post('staff/:id/disable')
  async disable(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const me = req.staff!;
    if (id === me.id) throw new DomainError('VALIDATION_FAILED', 'You cannot disable your own account.');
    if (!(await this.staff.disable(me.tenantId, id))) throw new DomainError('NOT_FOUND', 'No such account.');
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'staff.disable', subjectType: 'staff', subjectId: id });
    res.redirect(303, '/console/admin');
  }

  @Post('staff/:id/unlock')
  async unlock(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const me = req.staff!;
    if (!(await this.staff.unlock(me.tenantId, id))) throw new DomainError('NOT_FOUND', 'No such account.');
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'staff.unlock', subjectType: 'staff', subjectId: id });
    res.redirect(303, '/console/admin');
  }

  @Post('staff/:id/reset-password')
  async resetPassword(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const me = req.staff!;
    if (id === me.id) throw new DomainError('VALIDATION_FAILED', 'Change your own password from the Password page.');
    const reset = await this.staff.resetPassword(me.tenantId, id);
    if (!reset) throw new DomainError('NOT_FOUND', 'No such account.');
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'staff.password_reset', subjectType: 'staff', subjectId: id });
    await this.render(req, res, 200, { createdPassword: { ...reset, reset: true } });
  }

  @Post('senders/:id/:action')
  async sender(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string, @Param('action') action: string): Promise<void> {
    // Suspension only: a sender is approved by the platform operators (`/ops/senders`, the CLI).
    if (action !== 'suspend') throw new DomainError('NOT_FOUND', 'No such action.');
    await this.senders.suspend(req.staff!.tenantId, id, actorOf(req.staff!), {});
    res.redirect(303, '/console/admin');
  }

  @Post('keys')
  async createKey(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const b = body(req);
    const raw = Array.isArray(b.scopes) ? b.scopes : b.scopes === undefined ? [] : [b.scopes];
    const scopes = raw.filter((s): s is string => typeof s === 'string' && (CONSOLE_KEY_SCOPES as readonly string[]).includes(s));
    if (scopes.length === 0) throw new DomainError('VALIDATION_FAILED', 'Choose at least one scope.');
    const name = typeof b.name === 'string' ? b.name.trim().slice(0, 64) : '';
    const expires = typeof b.expires === 'string' && b.expires !== 'never' ? Number(b.expires) : undefined;
    if (expires !== undefined && !(KEY_EXPIRY_DAYS as readonly number[]).includes(expires)) throw new DomainError('VALIDATION_FAILED', 'Unknown expiry.');
    const me = req.staff!;
    const networks = typeof b.networks === 'string' ? b.networks.slice(0, 2000).split(/[\s,]+/) : [];
    const key = await this.keys.create(me.tenantId, scopes, name, { expiresInDays: expires, allowedNetworks: networks });
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'apikey.create', subjectType: 'api_key', subjectId: key.id, detail: { scopes, expiresAt: key.expiresAt, allowedNetworks: key.allowedNetworks } });
    await this.render(req, res, 201, { createdKey: key.token });
  }

  @Post('keys/:id/revoke')
  async revokeKey(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const me = req.staff!;
    if (!(await this.keys.revoke(me.tenantId, id.slice(0, 100)))) throw new DomainError('NOT_FOUND', 'No such active key.');
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'apikey.revoke', subjectType: 'api_key', subjectId: id.slice(0, 100) });
    res.redirect(303, '/console/admin');
  }

  /** The last 24 hours' failed and cancelled callbacks sent again, a page at a time (`after`: the page before's cursor); audited. */
  @Post('callbacks/recover')
  async recoverCallbacks(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const b = body(req);
    const me = req.staff!;
    const after = typeof b.after === 'string' && b.after !== '' ? b.after.slice(0, 200) : undefined;
    const result = await this.callbacks.recover(me.tenantId, { since: new Date(Date.now() - RECOVER_WINDOW_MS).toISOString(), after });
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'callbacks.recover', subjectType: 'tenant', subjectId: me.tenantId, detail: { redelivered: result.redelivered } });
    await this.render(req, res, 200, { recovered: { count: result.redelivered, after: result.nextCursor } });
  }

  private async render(req: ConsoleRequest, res: Response, status: number, extra: Partial<AdminData>): Promise<void> {
    const tenantId = req.staff!.tenantId;
    const [staff, senders, keys, tenant, failedCallbacks] = await Promise.all([
      this.staff.list(tenantId),
      this.senders.list(tenantId),
      this.keys.list(tenantId),
      this.tenants.get(tenantId),
      this.callbacks.countRecoverable(tenantId, new Date(Date.now() - RECOVER_WINDOW_MS)),
    ]);
    const data = { staff, senders, keys, policy: tenant.policy, callbackUrl: tenant.callbackUrl, failedCallbacks, ...extra };
    sendHtml(res, status, adminPage(pageContext(req, res, '/console/admin'), data));
  }
}
