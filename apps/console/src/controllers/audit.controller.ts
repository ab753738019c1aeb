import { Controller, Get, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Response } from 'express';
import { AUDIT_CSV_MAX_ROWS, AuditFilter, AuditService } from '../audit/audit.service';
import { ConsoleAuthGuard, RequireRole } from '../http/console-auth.guard';
import { ConsoleFilter } from '../http/console.filter';
import { ConsoleRequest, actorOf, pageContext, sendHtml } from '../http/console-request';
import { OpsService } from '../ops/ops.service';
import { auditPage, auditQuery } from '../views/audit.view';
import { opsPage } from '../views/ops.view';

function filterOf(q: Record<string, unknown>): AuditFilter {
  const pick = (k: string, max: number) => (typeof q[k] === 'string' && q[k] ? (q[k] as string).slice(0, max) : undefined);
  return { actor: pick('actor', 200), action: pick('action', 64), from: pick('from', 10), to: pick('to', 10) };
}

/** Supervisors' pages: who viewed what (with CSV export) and how the channels are doing. */
@ApiExcludeController()
@UseFilters(ConsoleFilter)
@UseGuards(ConsoleAuthGuard)
@RequireRole('supervisor')
@Controller('console')
export class OversightController {
  constructor(
    private readonly audit: AuditService,
    private readonly ops: OpsService,
  ) {}

  @Get('audit')
  async list(@Req() req: ConsoleRequest, @Res() res: Response, @Query() query: Record<string, unknown>): Promise<void> {
    const filter = filterOf(query);
    const tenantId = req.staff!.tenantId;
    const [rows, actions] = await Promise.all([this.audit.list(tenantId, filter), this.audit.actions(tenantId)]);
    sendHtml(res, 200, auditPage(pageContext(req, res), filter, actions, rows));
  }

  /** A download leaves the console with who viewed and revealed what, and why: itself a row of the log. */
  @Get('audit/csv')
  async csv(@Req() req: ConsoleRequest, @Res() res: Response, @Query() query: Record<string, unknown>): Promise<void> {
    const staff = req.staff!;
    const filter = filterOf(query);
    const rows = await this.audit.list(staff.tenantId, filter, AUDIT_CSV_MAX_ROWS);
    await this.audit.record({
      tenantId: staff.tenantId,
      actor: actorOf(staff),
      action: 'audit.export',
      subjectType: 'audit_log',
      subjectId: auditQuery(filter) || '(all)',
      detail: { staffId: staff.id, rows: rows.length },
    });
    res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="audit-log.csv"');
    res.send(this.audit.toCsv(rows));
  }

  @Get('ops')
  async operations(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const admin = req.staff!.role === 'admin';
    const tenantId = req.staff!.tenantId;
    const [health, backlog, rates] = await Promise.all([this.ops.health(tenantId), admin ? this.ops.backlog(tenantId) : Promise.resolve(null), this.ops.deliveryRates(tenantId)]);
    sendHtml(res, 200, opsPage(pageContext(req, res), { health, backlog, rates }));
  }
}
