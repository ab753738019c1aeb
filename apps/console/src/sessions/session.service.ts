import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { StaffEntity, StaffSessionEntity } from '@tsunagu/database';
import { safeEqual } from '@tsunagu/security';

/** A session lasts at most 12 hours, and ends after 30 minutes without a request. */
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 30 * 60 * 1000;
const TOUCH_EVERY_MS = 60 * 1000;

export interface ConsoleSession {
  staff: StaffEntity;
  session: StaffSessionEntity;
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Console sessions: the cookie holds a random 32-byte token; the table only its SHA-256. */
@Injectable()
export class SessionService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * A session for the account as it was when its password was checked: null when that password
   * has since been changed or reset, or the account disabled. Checking takes a while (scrypt), and
   * a change or reset in the meantime ends every session; the old password must not start one after.
   */
  async create(staff: StaffEntity): Promise<{ token: string; csrfToken: string } | null> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    await this.db.query(`DELETE FROM staff_sessions WHERE expires_at < now() OR last_seen_at < now() - make_interval(secs => $1)`, [SESSION_IDLE_MS / 1000]);
    const rows: unknown[] = await this.db.query(
      `INSERT INTO staff_sessions (id, staff_id, tenant_id, csrf_token, expires_at)
       SELECT $1, id, tenant_id, $4, now() + make_interval(secs => $5) FROM staff
       WHERE id = $2 AND tenant_id = $3 AND password_hash = $6 AND disabled_at IS NULL RETURNING 1`,
      [digest(token), staff.id, staff.tenantId, csrfToken, SESSION_MAX_MS / 1000, staff.passwordHash],
    );
    return rows.length > 0 ? { token, csrfToken } : null;
  }

  async resolve(token: string | undefined): Promise<ConsoleSession | null> {
    if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const session = await this.db.getRepository(StaffSessionEntity).findOneBy({ id: digest(token) });
    const now = Date.now();
    if (!session || session.expiresAt.getTime() <= now || now - session.lastSeenAt.getTime() > SESSION_IDLE_MS) return null;
    const staff = await this.db.getRepository(StaffEntity).findOneBy({ id: session.staffId, tenantId: session.tenantId });
    if (!staff || staff.disabledAt) return null;
    if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      await this.db.query(`UPDATE staff_sessions SET last_seen_at = now() WHERE id = $1`, [session.id]);
    }
    return { staff, session };
  }

  /** The synchronizer-token check for every state-changing request. */
  checkCsrf(session: StaffSessionEntity, submitted: unknown): boolean {
    return typeof submitted === 'string' && submitted.length > 0 && safeEqual(session.csrfToken, submitted);
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token) await this.db.query(`DELETE FROM staff_sessions WHERE id = $1`, [digest(token)]);
  }
}
