import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, isUuid, newId } from '@tsunagu/core';
import { StaffEntity, StaffRole } from '@tsunagu/database';
import { rowsOf } from '@tsunagu/engine';
import { decoyHash, generatePassword, hashPassword, verifyPassword } from './password';

export const STAFF_ROLES: readonly StaffRole[] = ['agent', 'supervisor', 'admin'];
/** Five wrong passwords in a row lock the account for fifteen minutes. */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;

const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,190}$/;

export function normaliseEmail(raw: string): string {
  const email = raw.normalize('NFKC').trim().toLowerCase();
  if (!EMAIL.test(email)) throw new DomainError('INVALID_REQUEST', 'That is not a valid email address.');
  return email;
}

/** `wrongPassword`: the account exists and the password was wrong (audited); `locked`: it is locked now. */
export type SignInResult = { ok: true; staff: StaffEntity } | { ok: false; locked: boolean; wrongPassword?: StaffEntity };

/** Staff accounts per tenant: created by an admin (or the CLI), signed in with a lock-out. */
@Injectable()
export class StaffService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Tenant by id or name (the CLI takes either). */
  async tenantId(idOrName: string): Promise<string | null> {
    const rows: { id: string }[] = isUuid(idOrName)
      ? await this.db.query(`SELECT id FROM tenants WHERE id = $1`, [idOrName])
      : await this.db.query(`SELECT id FROM tenants WHERE name = $1`, [idOrName]);
    return rows[0]?.id ?? null;
  }

  /** Creates an account; returns the password to show once (generated unless given). */
  async create(tenantId: string, rawEmail: string, role: StaffRole, password: string = generatePassword()): Promise<{ id: string; password: string }> {
    if (!STAFF_ROLES.includes(role)) throw new DomainError('INVALID_REQUEST', `A role is one of ${STAFF_ROLES.join(', ')}.`);
    const email = normaliseEmail(rawEmail);
    const hash = await hashPassword(password);
    const id = newId();
    const rows: unknown[] = await this.db.query(
      `INSERT INTO staff (id, tenant_id, email, password_hash, role) SELECT $1, id, $3, $4, $5 FROM tenants WHERE id = $2
       ON CONFLICT (tenant_id, email) DO NOTHING RETURNING 1`,
      [id, tenantId, email, hash, role],
    );
    if (rows.length === 0) throw new DomainError('CONFLICT', 'That tenant does not exist, or the email already has an account there.');
    return { id, password };
  }

  async signIn(tenantName: string, rawEmail: string, password: string): Promise<SignInResult> {
    let email: string;
    try {
      email = normaliseEmail(rawEmail);
    } catch {
      await verifyPassword(password, await decoyHash());
      return { ok: false, locked: false };
    }
    const tenant: { id: string }[] = await this.db.query(`SELECT id FROM tenants WHERE name = $1`, [tenantName]);
    const staff = tenant[0] ? await this.db.getRepository(StaffEntity).findOneBy({ tenantId: tenant[0].id, email }) : null;
    if (!staff || staff.disabledAt) {
      await verifyPassword(password, await decoyHash());
      return { ok: false, locked: false };
    }
    if (staff.lockedUntil && staff.lockedUntil > new Date()) return { ok: false, locked: true };
    if (await verifyPassword(password, staff.passwordHash)) {
      await this.db.query(`UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [staff.id]);
      return { ok: true, staff };
    }
    // One statement, so parallel guesses cannot each see "four failures" and slip past the lock.
    const rows = rowsOf<{ locked: boolean }>(
      await this.db.query(
        `UPDATE staff SET
           failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
           locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END
         WHERE id = $1 RETURNING locked_until IS NOT NULL AND locked_until > now() AS locked`,
        [staff.id, MAX_FAILED_LOGINS, LOCK_MINUTES],
      ),
    );
    return { ok: false, locked: rows[0]?.locked ?? false, wrongPassword: staff };
  }

  async get(tenantId: string, id: string): Promise<StaffEntity | null> {
    return isUuid(id) ? this.db.getRepository(StaffEntity).findOneBy({ tenantId, id }) : null;
  }

  async list(tenantId: string): Promise<StaffEntity[]> {
    return this.db.getRepository(StaffEntity).find({ where: { tenantId }, order: { email: 'ASC' } });
  }

  async disable(tenantId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.db.transaction(async (m) => {
      // rowsOf: an UPDATE answers [rows, count], whose length is 2 even when no row matched. Only
      // an account of this tenant that was disabled here has its sessions ended.
      const rows = rowsOf(await m.query(`UPDATE staff SET disabled_at = now() WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL RETURNING 1`, [tenantId, id]));
      if (rows.length === 0) return false;
      await m.query(`DELETE FROM staff_sessions WHERE staff_id = $1 AND tenant_id = $2`, [id, tenantId]);
      return true;
    });
  }

  async unlock(tenantId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = rowsOf(await this.db.query(`UPDATE staff SET failed_logins = 0, locked_until = NULL WHERE tenant_id = $1 AND id = $2 RETURNING 1`, [tenantId, id]));
    return rows.length > 0;
  }
}
