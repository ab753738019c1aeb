import { Provider } from '@nestjs/common';
import { LockoutService } from './lockout.service';
import { PwnedPasswords } from './pwned-passwords';
import { StaffService } from './staff.service';

/** StaffService and what it needs beyond the database and the config: the console's module and the CLI's both provide these. */
export const STAFF_PROVIDERS: Provider[] = [StaffService, LockoutService, PwnedPasswords];
