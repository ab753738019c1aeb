import { Controller, Get, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Response } from 'express';
import { AuditService } from '../audit/audit.service';
import { ConsoleAuthGuard, OpenBeforePasswordChange } from '../http/console-auth.guard';
import { ConsoleFilter } from '../http/console.filter';
import { ConsoleRequest, actorOf, pageContext, sendHtml } from '../http/console-request';
import { StaffService } from '../staff/staff.service';
import { passwordPage } from '../views/password.view';

function field(req: ConsoleRequest, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  // One past the longest password allowed, so an over-long one is refused rather than cut to fit.
  return typeof v === 'string' ? v.slice(0, 257) : '';
}

/** Every member of staff sets their own password here; one on a generated password must, first. */
@ApiExcludeController()
@UseFilters(ConsoleFilter)
@UseGuards(ConsoleAuthGuard)
@OpenBeforePasswordChange()
@Controller('console/password')
export class PasswordController {
  constructor(
    private readonly staff: StaffService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  form(@Req() req: ConsoleRequest, @Res() res: Response): void {
    sendHtml(res, 200, passwordPage(pageContext(req, res), { required: req.staff!.mustChangePassword }));
  }

  @Post()
  async change(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const me = req.staff!;
    const { problem, wrongCurrent } = await this.staff.changePassword(me, req.staffSession!.id, field(req, 'current'), field(req, 'next'), field(req, 'repeat'), req.ip);
    if (wrongCurrent) {
      // Audited like a wrong password at sign-in: a session guessing at its own password, and the
      // lock that ends it, are the reviewer's business.
      await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'staff.password_change_failed', subjectType: 'staff', subjectId: me.id, detail: { locked: wrongCurrent.locked } });
    }
    if (problem) {
      sendHtml(res, 400, passwordPage(pageContext(req, res), { required: me.mustChangePassword, problem }));
      return;
    }
    await this.audit.record({ tenantId: me.tenantId, actor: actorOf(me), action: 'staff.password_change', subjectType: 'staff', subjectId: me.id, detail: { wasGenerated: me.mustChangePassword } });
    res.redirect(303, '/console/search');
  }
}
