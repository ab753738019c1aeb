import { Module } from '@nestjs/common';
import { ApiKeysService } from './admin/admin.service';
import { AuditService } from './audit/audit.service';
import { AdminController } from './controllers/admin.controller';
import { OversightController } from './controllers/audit.controller';
import { AuthController } from './controllers/auth.controller';
import { HistoryController } from './controllers/history.controller';
import { PasswordController } from './controllers/password.controller';
import { ConsoleAuthGuard } from './http/console-auth.guard';
import { OpsService } from './ops/ops.service';
import { HistoryService } from './search/history.service';
import { SearchService } from './search/search.service';
import { SessionService } from './sessions/session.service';
import { STAFF_PROVIDERS } from './staff/staff.providers';
import { StaffService } from './staff/staff.service';

/**
 * The support console, served by the api under /console: server-rendered pages over the engine's
 * read services. Needs the api's `consoleHttp()` middleware mounted on /console (forms, headers, assets).
 */
@Module({
  controllers: [AuthController, HistoryController, OversightController, AdminController, PasswordController],
  providers: [...STAFF_PROVIDERS, SessionService, AuditService, SearchService, HistoryService, OpsService, ApiKeysService, ConsoleAuthGuard],
  exports: [StaffService],
})
export class ConsoleModule {}
