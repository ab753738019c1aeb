import { createHash, randomUUID } from 'node:crypto';
import type { StoredPart } from './concat-header.parser';

/** The one thing the store needs of PostgreSQL; a TypeORM DataSource is one. */
export interface SqlClient {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * How the sender's address is kept at rest: sealed, and found by a keyed digest (the engine's
 * PhoneCipher: `encrypt`, `decrypt`, `keyOf`). A phone number is never stored in the clear.
 */
export interface AddressSeal {
  encrypt(plain: string): Buffer;
  decrypt(sealed: Buffer): string;
  keyOf(purpose: string, value: string): string;
}

const SEAL_PURPOSE = 'sms-inbound-part';

/** What names one long reply: the same reference from another sender or to another number is another reply. */
export interface PartGroupKey {
  account: string;
  sourceAddr: string;
  destinationAddr: string;
  ref: number;
  total: number;
}

export interface InboundPart extends PartGroupKey, StoredPart {
  sourceTon: number;
  dataCoding: number;
}

export interface ClaimedGroup extends PartGroupKey {
  ids: string[];
  sourceTon: number;
  /** data_coding of each part, in seq order, for operators. */
  dataCodings: number[];
  parts: StoredPart[];
  /** When the first of these parts was stored: the reply's time, and part of its event id. */
  firstReceivedAt: Date;
}

interface PartRow {
  id: string;
  account: string;
  source_ton: number;
  destination_addr: string;
  ref: number;
  total: number;
  seq: number;
  data_coding: number;
  body: Buffer | null;
  received_at: Date;
}

const KEY_MATCH = `account = $1 AND source_key = $2 AND destination_addr = $3 AND ref = $4 AND total = $5`;

/**
 * Claims a group's waiting parts when all of them are here or the first is past its time, for
 * `leaseSeconds`: the claim keeps two workers from joining one reply at once, and lapses if the
 * worker that took it dies, so another picks it up. A CTE, so the driver answers with rows.
 */
const CLAIM = `WITH g AS (SELECT id, expires_at FROM sms_inbound_parts WHERE ${KEY_MATCH} AND done_at IS NULL),
  c AS (UPDATE sms_inbound_parts p SET claimed_until = now() + make_interval(secs => $6)
    WHERE p.id IN (SELECT id FROM g) AND (p.claimed_until IS NULL OR p.claimed_until < now())
      AND ((SELECT count(*) FROM g) = $5 OR (SELECT min(expires_at) FROM g) < now())
    RETURNING p.id, p.account, p.source_ton, p.destination_addr, p.ref, p.total, p.seq, p.data_coding, p.body, p.received_at)
  SELECT * FROM c ORDER BY seq`;

const DUE = `SELECT account, (array_agg(source_enc))[1] AS source_enc, destination_addr, ref, total FROM sms_inbound_parts
  WHERE done_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
  GROUP BY account, source_key, destination_addr, ref, total
  HAVING count(*) = total OR min(expires_at) < now()
  LIMIT $1`;


/**
 * Parts of long SMS replies in PostgreSQL (`sms_inbound_parts`), shared by every worker and bind.
 * A part is stored once: the same part offered again is a repeat, before the join and for
 * `windowSeconds` after it (the joined rows stay, body wiped, as tombstones).
 */
export class InboundPartsStore {
  constructor(
    private readonly db: SqlClient,
    private readonly seal: AddressSeal,
    private readonly windowSeconds: number,
    private readonly leaseSeconds = 60,
  ) {}

  private keyParams(k: PartGroupKey): unknown[] {
    return [k.account, this.seal.keyOf(SEAL_PURPOSE, k.sourceAddr), k.destinationAddr, k.ref, k.total];
  }

  /** True when the part is new; false for a repeat. Resolves only once the row is committed. */
  async add(part: InboundPart): Promise<boolean> {
    const body = part.text === null ? null : Buffer.from(part.text, 'utf16le');
    const sha = createHash('sha256').update(String(part.dataCoding)).update(body ?? Buffer.alloc(0)).digest('hex');
    // A differing part under a joined reply's key is the sender's reference come round again: a
    // new reply, which takes the old tombstone's place.
    const rows = (await this.db.query(
      `INSERT INTO sms_inbound_parts (id, account, source_key, source_enc, source_ton, destination_addr, ref, total, seq, data_coding, body, body_sha, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now() + make_interval(secs => $13))
       ON CONFLICT (account, source_key, destination_addr, ref, total, seq) DO UPDATE SET
         id = EXCLUDED.id, source_ton = EXCLUDED.source_ton, data_coding = EXCLUDED.data_coding, body = EXCLUDED.body, body_sha = EXCLUDED.body_sha,
         received_at = now(), expires_at = EXCLUDED.expires_at, claimed_until = NULL, done_at = NULL
       WHERE sms_inbound_parts.done_at IS NOT NULL AND sms_inbound_parts.body_sha <> EXCLUDED.body_sha
       RETURNING id`,
      [
        randomUUID(),
        part.account,
        this.seal.keyOf(SEAL_PURPOSE, part.sourceAddr),
        this.seal.encrypt(part.sourceAddr),
        part.sourceTon,
        part.destinationAddr,
        part.ref,
        part.total,
        part.seq,
        part.dataCoding,
        body,
        sha,
        this.windowSeconds,
      ],
    )) as unknown[];
    return rows.length > 0;
  }

  /** The group's parts if it is complete or due, and not held by another worker; else null. */
  async claim(key: PartGroupKey): Promise<ClaimedGroup | null> {
    const rows = (await this.db.query(CLAIM, [...this.keyParams(key), this.leaseSeconds])) as PartRow[];
    if (rows.length === 0) return null;
    return {
      ...key,
      ids: rows.map((r) => r.id),
      sourceTon: Number(rows[0].source_ton),
      dataCodings: rows.map((r) => Number(r.data_coding)),
      parts: rows.map((r) => ({ seq: Number(r.seq), text: r.body === null ? null : Buffer.from(r.body).toString('utf16le') })),
      firstReceivedAt: new Date(Math.min(...rows.map((r) => new Date(r.received_at).getTime()))),
    };
  }

  /** Groups that are complete or past their time and not claimed: for the sweep. */
  async due(limit = 100): Promise<PartGroupKey[]> {
    const rows = (await this.db.query(DUE, [limit])) as (Pick<PartRow, 'account' | 'destination_addr' | 'ref' | 'total'> & { source_enc: Buffer })[];
    return rows.map((r) => ({
      account: r.account,
      sourceAddr: this.seal.decrypt(Buffer.from(r.source_enc)),
      destinationAddr: r.destination_addr,
      ref: Number(r.ref),
      total: Number(r.total),
    }));
  }

  /** The joined reply is with the engine: its parts become tombstones, text gone. */
  async finish(group: ClaimedGroup): Promise<void> {
    await this.db.query(
      `UPDATE sms_inbound_parts SET done_at = now(), body = NULL, claimed_until = NULL, expires_at = now() + make_interval(secs => $2) WHERE id = ANY($1)`,
      [group.ids, this.windowSeconds],
    );
  }

  /** The engine refused it: the next offer of a part, or the sweep, tries again. */
  async release(group: ClaimedGroup): Promise<void> {
    await this.db.query(`UPDATE sms_inbound_parts SET claimed_until = NULL WHERE id = ANY($1) AND done_at IS NULL`, [group.ids]);
  }

  /**
   * Erasure on request: every row from these source addresses (each form an SMSC may write the
   * person's number in) to these destinations, waiting parts and joined replies' tombstones alike,
   * on `sql` (the erasure's transaction). Returns how many went.
   */
  async erase(sql: SqlClient, sourceAddrs: readonly string[], destinations: readonly string[]): Promise<number> {
    if (sourceAddrs.length === 0 || destinations.length === 0) return 0;
    const keys = sourceAddrs.map((a) => this.seal.keyOf(SEAL_PURPOSE, a));
    // A CTE, so the driver answers with rows (a bare DELETE answers [rows, count] through TypeORM).
    const [row] = (await sql.query(
      `WITH d AS (DELETE FROM sms_inbound_parts WHERE source_key = ANY($1) AND destination_addr = ANY($2) RETURNING 1) SELECT count(*)::int AS n FROM d`,
      [keys, destinations],
    )) as { n: number }[];
    return Number(row?.n ?? 0);
  }

  /** Tombstones past their window. */
  async purge(): Promise<void> {
    await this.db.query(`DELETE FROM sms_inbound_parts WHERE done_at IS NOT NULL AND expires_at < now()`);
  }
}
