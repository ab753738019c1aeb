import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { rowsOf } from '@tsunagu/engine';
import { ClientAddressKeys } from './client-address';

/** Five wrong passwords from one address lock the account, for that address, for fifteen minutes. */
export const MAX_FAILED_LOGINS = 5;
/**
 * Fifty from any addresses within fifteen minutes lock it for everyone for fifteen minutes: a
 * guess spread over many addresses (a botnet, an IPv4 pool) is still bounded per account.
 */
export const ACCOUNT_MAX_FAILED_LOGINS = 50;
export const LOCK_MINUTES = 15;
/**
 * An address the account signed in from is known this long after: the lock for everyone does not
 * hold it back, so a guess spread over many addresses cannot keep the owner out either.
 */
export const KNOWN_ADDRESS_DAYS = 30;
const PRUNE_BATCH = 100;

/**
 * 'locked': checking is refused (for this address, or for everyone); else this attempt is counted,
 * and whether counting it locked the account (`everyone`: for every address).
 */
export type Reservation = 'locked' | { locked: boolean; everyone: boolean };

/**
 * The sign-in lock-out, counted per (account, client address) in `staff_login_failures` and per
 * account over all addresses on the staff row. Every password check, at sign-in or on the password
 * form, reserves its attempt here before the password is hashed. The lock for everyone spares the
 * addresses the owner signed in from lately (`known_until`): each of those is still held to its
 * own five failures, as any address is.
 */
@Injectable()
export class LockoutService {
  private readonly keys: ClientAddressKeys;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(TSUNAGU_CONFIG) config: TsunaguConfig,
  ) {
    this.keys = new ClientAddressKeys(config.dataKey);
  }

  /**
   * Counts a password check toward both locks before it is made. Under the account row's lock:
   * guesses sent at once, from one address or many, are counted one after another, so they cannot
   * all read "not locked" and each have a password checked while the first are still hashing.
   */
  async reserve(staffId: string, ip: string | undefined): Promise<Reservation> {
    const clientKey = this.keys.of(ip);
    const reservation = await this.db.transaction(async (m): Promise<Reservation> => {
      const [account] = rowsOf<{ locked: boolean; windowOpen: boolean; failures: number }>(
        await m.query(
          `SELECT coalesce(locked_until > now(), false) AS locked, coalesce(failed_logins_since > now() - make_interval(mins => $2), false) AS "windowOpen", failed_logins AS failures
           FROM staff WHERE id = $1 FOR UPDATE`,
          [staffId, LOCK_MINUTES],
        ),
      );
      if (!account) return 'locked';
      const [here] = rowsOf<{ locked: boolean; live: boolean; failures: number; known: boolean }>(
        await m.query(
          `SELECT coalesce(locked_until > now(), false) AS locked, failures_until > now() AS live, failures, coalesce(known_until > now(), false) AS known
           FROM staff_login_failures WHERE staff_id = $1 AND client_key = $2`,
          [staffId, clientKey],
        ),
      );
      if (here?.locked || (account.locked && !here?.known)) return 'locked';

      const fromHere = (here?.live ? here.failures : 0) + 1;
      const lockHere = fromHere >= MAX_FAILED_LOGINS;
      // Forgotten fifteen minutes after the last failure; a lock starts the count afresh when it ends.
      // The row lasts while either its failures or its being known does (`expires_at`, for pruning).
      await m.query(
        `INSERT INTO staff_login_failures (staff_id, client_key, failures, locked_until, failures_until, expires_at)
         VALUES ($1, $2, $3, CASE WHEN $4 THEN now() + make_interval(mins => $5) END, now() + make_interval(mins => $5), now() + make_interval(mins => $5))
         ON CONFLICT (staff_id, client_key) DO UPDATE SET failures = EXCLUDED.failures, locked_until = EXCLUDED.locked_until,
           failures_until = EXCLUDED.failures_until, expires_at = GREATEST(EXCLUDED.expires_at, staff_login_failures.known_until)`,
        [staffId, clientKey, lockHere ? 0 : fromHere, lockHere, LOCK_MINUTES],
      );

      const everywhere = (account.windowOpen ? account.failures : 0) + 1;
      const lockAll = everywhere >= ACCOUNT_MAX_FAILED_LOGINS;
      await m.query(
        `UPDATE staff SET
           failed_logins = $2,
           failed_logins_since = CASE WHEN $3 THEN NULL WHEN $4 THEN failed_logins_since ELSE now() END,
           locked_until = CASE WHEN $3 THEN now() + make_interval(mins => $5) ELSE locked_until END
         WHERE id = $1`,
        [staffId, lockAll ? 0 : everywhere, lockAll, account.windowOpen, LOCK_MINUTES],
      );
      return { locked: lockHere || lockAll, everyone: lockAll };
    });
    await this.prune();
    return reservation;
  }

  /**
   * Each attempt clears up to PRUNE_BATCH rows whose time is over (failures forgotten and the
   * address no longer known), more than it can add, so the table holds about what is live however
   * long the guessing goes on. Rows another attempt holds are skipped, never waited for (no
   * deadlock between two prunes).
   */
  private async prune(): Promise<void> {
    await this.db.query(
      `DELETE FROM staff_login_failures f USING (
         SELECT staff_id, client_key FROM staff_login_failures WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED
       ) old WHERE f.staff_id = old.staff_id AND f.client_key = old.client_key`,
      [PRUNE_BATCH],
    );
  }

  /**
   * The right password: this address's count is cleared (and any lock it set there with it) and
   * the address is known for KNOWN_ADDRESS_DAYS; the attempt is taken back from the account's
   * count, which goes on counting everyone else's, and a lock for everyone that this very attempt
   * set is lifted.
   */
  async succeeded(staffId: string, ip: string | undefined, reservation: Exclude<Reservation, 'locked'>): Promise<void> {
    await this.db.query(
      `WITH here AS (
         INSERT INTO staff_login_failures (staff_id, client_key, failures, failures_until, known_until, expires_at)
         VALUES ($1, $2, 0, now(), now() + make_interval(days => $4), now() + make_interval(days => $4))
         ON CONFLICT (staff_id, client_key) DO UPDATE SET failures = 0, locked_until = NULL, failures_until = now(),
           known_until = EXCLUDED.known_until, expires_at = EXCLUDED.expires_at)
       UPDATE staff SET failed_logins = greatest(failed_logins - 1, 0), locked_until = CASE WHEN $3 THEN NULL ELSE locked_until END WHERE id = $1`,
      [staffId, this.keys.of(ip), reservation.everyone, KNOWN_ADDRESS_DAYS],
    );
  }

  /**
   * An admin's unlock or reset (the staff row's own lock is lifted by the caller's statement, in
   * `m`): every address's count and lock go. A reset (`forgetKnown`) also forgets the addresses
   * known from sign-ins: whoever held the old password may have signed in with it.
   */
  async clearAll(staffId: string, m: EntityManager, opts: { forgetKnown: boolean }): Promise<void> {
    if (opts.forgetKnown) await m.query(`DELETE FROM staff_login_failures WHERE staff_id = $1`, [staffId]);
    else await m.query(`UPDATE staff_login_failures SET failures = 0, locked_until = NULL, failures_until = now() WHERE staff_id = $1`, [staffId]);
  }

  /** Which of these accounts are locked now, for everyone or from some address: the admin page offers to unlock them. */
  async lockedAmong(staffIds: string[]): Promise<Set<string>> {
    if (staffIds.length === 0) return new Set();
    const rows = rowsOf<{ id: string }>(
      await this.db.query(
        `SELECT id FROM staff WHERE id = ANY($1::uuid[]) AND locked_until > now()
         UNION SELECT staff_id FROM staff_login_failures WHERE staff_id = ANY($1::uuid[]) AND locked_until > now()`,
        [staffIds],
      ),
    );
    return new Set(rows.map((r) => r.id));
  }
}
