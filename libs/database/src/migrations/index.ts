import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { Console1764100000000 } from './1764100000000-console';
import { HistoryIndexes1765000000000 } from './1765000000000-history-indexes';
import { EventsWithoutForeignKeys1766000000000 } from './1766000000000-events-without-foreign-keys';
import { AuditLogAppendOnly1767000000000 } from './1767000000000-audit-log-append-only';
import { StaffPasswordChange1767100000000 } from './1767100000000-staff-password-change';
import { ContactErasure1767200000000 } from './1767200000000-contact-erasure';
import { CallbackSecretRotation1767300000000 } from './1767300000000-callback-secret-rotation';
import { RetentionIndexes1767400000000 } from './1767400000000-retention-indexes';
import { ApiKeyExpiry1767500000000 } from './1767500000000-api-key-expiry';
import { SenderApprovedOnce1767600000000 } from './1767600000000-sender-approved-once';
import { CallbacksFailedIndex1767700000000 } from './1767700000000-callbacks-failed-index';
import { SmsInboundParts1767850000000 } from './1767850000000-sms-inbound-parts';
import { CallbackTries1767910000000 } from './1767910000000-callback-tries';
import { StaffLoginFailures1767920000000 } from './1767920000000-staff-login-failures';
import { RetentionClearsCrmRef1767960000000 } from './1767960000000-retention-clears-crm-ref';
import { CallbacksRecoverableIndex1767970000000 } from './1767970000000-callbacks-recoverable-index';

/** Listed explicitly (not globbed) so the compiled and the ts-run trees load the same set. */
export const MIGRATIONS = [InitialSchema1764000000000, Console1764100000000, HistoryIndexes1765000000000, EventsWithoutForeignKeys1766000000000, AuditLogAppendOnly1767000000000, StaffPasswordChange1767100000000, ContactErasure1767200000000, CallbackSecretRotation1767300000000, RetentionIndexes1767400000000, ApiKeyExpiry1767500000000, SenderApprovedOnce1767600000000, CallbacksFailedIndex1767700000000, SmsInboundParts1767850000000, CallbackTries1767910000000, StaffLoginFailures1767920000000, RetentionClearsCrmRef1767960000000, CallbacksRecoverableIndex1767970000000];
