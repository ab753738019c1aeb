import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, isUuid, newId } from '@tsunagu/core';
import { StaffEntity, StaffRole } from '@tsunagu/database';
import { rowsOf } from '@tsunagu/engine';
import { containsContextWord } from './context-words';
import { LockoutService } from './lockout.service';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, decoyHash, generatePassword, hashPassword, verifyPassword } from './password';
import { PwnedPasswords } from './pwned-passwords';

export const STAFF_ROLES: readonly StaffRole[] = ['agent', 'supervisor', 'admin'];

const EMAIL = /^[^\s@<>"]{1,64}@[^\s@<>"]{1,190}$/;

export function normaliseEmail(raw: string): string {
  const email = raw.normalize('NFKC').trim().toLowerCase();
  if (!EMAIL.test(email)) throw new DomainError('INVALID_REQUEST', 'That is not a valid email address.');
  return email;
}

/**
 * Why a new password was not taken: the current one was wrong, the two entries differ, too short
 * or long, unchanged, it holds the account's email name or the organisation's name, or it is
 * known from a breach (Pwned Passwords).
 */
export type PasswordProblem = 'current' | 'mismatch' | 'length' | 'same' | 'personal' | 'breached';

const GIVEN_PASSWORD_REFUSALS: Record<'length' | 'personal' | 'breached', string> = {
  length: `A password is ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
  personal: "That password contains the account's email name or the organisation's name; choose one without them.",
  breached: 'That password appears in a known data breach (Have I Been Pwned); choose another.',
};

/** An account as the admin page lists it: `locked` from some address or for everyone. */
export type StaffListing = StaffEntity & { locked: boolean };

/** `wrongCurrent`: a current password was checked and was wrong (audited), and whether that locked the account. */
export type PasswordChangeResult = { problem: PasswordProblem | null; wrongCurrent?: { locked: boolean } };

/** `wrongPassword`: the account exists and the password was wrong (audited); `locked`: it is locked now. */
export type SignInResult = { ok: true; staff: StaffEntity } | { ok: false; locked: boolean; wrongPassword?: StaffEntity };

/** Staff accounts per tenant: created by an admin (or the CLI), signed in with a lock-out. */
@Injectable()
export class StaffService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly lockout: LockoutService,
    private readonly pwned: PwnedPasswords,
  ) {}

  /** Tenant by id or name (the CLI takes either). */
  async tenantId(idOrName: string): Promise<string | null> {
    const rows: { id: string }[] = isUuid(idOrName)
      ? await this.db.query(`SELECT id FROM tenants WHERE id = $1`, [idOrName])
      : await this.db.query(`SELECT id FROM tenants WHERE name = $1`, [idOrName]);
    return rows[0]?.id ?? null;
  }

  /**
   * Creates an account; returns the password to show once. A generated one (none given) was seen
   * by whoever made the account, so its owner must change it at the first sign-in. A given one
   * (a scripted set-up's) must pass the rules a chosen one does: `VALIDATION_FAILED` with
   * `details.problem` ('length', 'personal' or 'breached') if not.
   */
  async create(tenantId: string, rawEmail: string, role: StaffRole, given?: string): Promise<{ id: string; password: string; mustChangePassword: boolean }> {
    const password = given ?? generatePassword();
    const mustChangePassword = given === undefined;
    if (!STAFF_ROLES.includes(role)) throw new DomainError('INVALID_REQUEST', `A role is one of ${STAFF_ROLES.join(', ')}.`);
    const email = normaliseEmail(rawEmail);
    if (given !== undefined) {
      const tenant = rowsOf<{ name: string }>(await this.db.query(`SELECT name FROM tenants WHERE id = $1`, [tenantId]))[0];
      const problem = await this.newPasswordProblem(given, email, tenant?.name ?? '');
      if (problem) throw new DomainError('VALIDATION_FAILED', GIVEN_PASSWORD_REFUSALS[problem], { problem });
    }
    const hash = await hashPassword(password);
    const id = newId();
    const rows: unknown[] = await this.db.query(
      `INSERT INTO staff (id, tenant_id, email, password_hash, role, must_change_password) SELECT $1, id, $3, $4, $5, $6 FROM tenants WHERE id = $2
       ON CONFLICT (tenant_id, email) DO NOTHING RETURNING 1`,
      [id, tenantId, email, hash, role, mustChangePassword],
    );
    if (rows.length === 0) throw new DomainError('CONFLICT', 'That tenant does not exist, or the email already has an account there.');
    return { id, password, mustChangePassword };
  }

  /** `ip`: the client's address as Express has it (`req.ip`, which honours TSUNAGU_TRUST_PROXY): the lock-out counts per address. */
  async signIn(tenantName: string, rawEmail: string, password: string, ip: string | undefined): Promise<SignInResult> {
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
    const attempt = await this.lockout.reserve(staff.id, ip);
    if (attempt === 'locked') {
      // No password of the account is checked, but the decoy is: a locked account answers as slowly
      // as an unknown one, so timing does not tell a guesser which addresses have accounts.
      await verifyPassword(password, await decoyHash());
      return { ok: false, locked: true };
    }
    if (await verifyPassword(password, staff.passwordHash)) {
      await this.lockout.succeeded(staff.id, ip, attempt);
      return { ok: true, staff };
    }
    return { ok: false, locked: attempt.locked, wrongPassword: staff };
  }

  /**
   * The signed-in person sets their own password: the current one first (a session left open
   * must not be enough), then a new one of 12 to 256 characters, typed twice, unlike the current,
   * without the account's email name or the organisation's name, and not known from a breach.
   * It ends every other session of the account; the one in use goes on. `ip` as for `signIn`.
   */
  async changePassword(staff: StaffEntity, keepSessionId: string, current: string, next: string, repeated: string, ip: string | undefined): Promise<PasswordChangeResult> {
    const fresh = await this.db.getRepository(StaffEntity).findOneBy({ id: staff.id, tenantId: staff.tenantId });
    if (!fresh) return { problem: 'current' };
    // A session is not a licence to guess the password behind it: the same lock as sign-in (a
    // locked account checks nothing here either), and a lock ends every session of the account,
    // this one included.
    const attempt = await this.lockout.reserve(fresh.id, ip);
    if (attempt === 'locked') return { problem: 'current' };
    if (!(await verifyPassword(current, fresh.passwordHash))) {
      if (attempt.locked) await this.db.query(`DELETE FROM staff_sessions WHERE staff_id = $1 AND tenant_id = $2`, [staff.id, staff.tenantId]);
      return { problem: 'current', wrongCurrent: { locked: attempt.locked } };
    }
    await this.lockout.succeeded(fresh.id, ip, attempt);
    if (next !== repeated) return { problem: 'mismatch' };
    if (next.length < MIN_PASSWORD_LENGTH || next.length > MAX_PASSWORD_LENGTH) return { problem: 'length' };
    if (next.normalize('NFKC') === current.normalize('NFKC')) return { problem: 'same' };
    const tenant = rowsOf<{ name: string }>(await this.db.query(`SELECT name FROM tenants WHERE id = $1`, [fresh.tenantId]))[0];
    const problem = await this.newPasswordProblem(next, fresh.email, tenant?.name ?? '');
    if (problem) return { problem };
    const hash = await hashPassword(next);
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE staff SET password_hash = $3, must_change_password = false, password_changed_at = now() WHERE id = $1 AND tenant_id = $2`,
        [staff.id, staff.tenantId, hash],
      );
      await m.query(`DELETE FROM staff_sessions WHERE staff_id = $1 AND tenant_id = $2 AND id <> $3`, [staff.id, staff.tenantId, keepSessionId]);
    });
    return { problem: null };
  }

  /** A new password's own rules, cheapest first: the breach look-up goes over the network. */
  private async newPasswordProblem(password: string, email: string, tenantName: string): Promise<'length' | 'personal' | 'breached' | null> {
    if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) return 'length';
    if (containsContextWord(password, email, tenantName)) return 'personal';
    if (await this.pwned.isBreached(password)) return 'breached';
    return null;
  }

  /**
   * An admin's reset of a forgotten password: a new generated one, shown once to the admin, which
   * its owner must replace at the next sign-in. The account's sessions end and every lock is lifted
   * (for everyone and from each address); like a change, it dates the password.
   * Null when there is no such live account in this tenant.
   */
  async resetPassword(tenantId: string, id: string): Promise<{ email: string; password: string } | null> {
    if (!isUuid(id)) return null;
    const password = generatePassword();
    const hash = await hashPassword(password);
    return this.db.transaction(async (m) => {
      const rows = rowsOf<{ email: string }>(
        await m.query(
          `UPDATE staff SET password_hash = $3, must_change_password = true, password_changed_at = now(), failed_logins = 0, failed_logins_since = NULL, locked_until = NULL
           WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL RETURNING email`,
          [tenantId, id, hash],
        ),
      );
      if (rows.length === 0) return null;
      await m.query(`DELETE FROM staff_sessions WHERE staff_id = $1 AND tenant_id = $2`, [id, tenantId]);
      await this.lockout.clearAll(id, m, { forgetKnown: true });
      return { email: rows[0].email, password };
    });
  }

  async get(tenantId: string, id: string): Promise<StaffEntity | null> {
    return isUuid(id) ? this.db.getRepository(StaffEntity).findOneBy({ tenantId, id }) : null;
  }

  async list(tenantId: string): Promise<StaffListing[]> {
    const staff = await this.db.getRepository(StaffEntity).find({ where: { tenantId }, order: { email: 'ASC' } });
    const locked = await this.lockout.lockedAmong(staff.map((s) => s.id));
    return staff.map((s) => Object.assign(s, { locked: locked.has(s.id) }));
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

  /** Lifts every lock of the account, for everyone and from each address, and forgets its failures. */
  async unlock(tenantId: string, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.db.transaction(async (m) => {
      const rows = rowsOf(await m.query(`UPDATE staff SET failed_logins = 0, failed_logins_since = NULL, locked_until = NULL WHERE tenant_id = $1 AND id = $2 RETURNING 1`, [tenantId, id]));
      if (rows.length === 0) return false;
      await this.lockout.clearAll(id, m, { forgetKnown: false });
      return true;
    });
  }
}
