import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AttemptEntity, ContactEntity, MessageEntity } from '@tsunagu/database';
import { EntityRows } from '../infra/entity-rows';
import { Tx, queryOnce } from '../infra/tx';
import { senderApprovedSql } from '../senders/sender-gate';

export interface MessageForDecision {
  message: MessageEntity;
  attempts: AttemptEntity[];
  contact: ContactEntity;
  /**
   * The message's sender is still approved for its SMS route (true when it has none): the
   * accept's anti-spoofing rule asked again in the same read, as an SMS may start days after the
   * accept (a schedule, a fallback). See `senderStillApproved` for the same rule on its own.
   */
  senderApproved: boolean;
}

/** `sender_gate` of the accept, per message row `m`: one index probe inside the read that locks it. */
const SENDER_APPROVED = `(m.sender IS NULL OR EXISTS (
    SELECT 1 FROM senders s WHERE s.address = m.sender AND s.tenant_id = m.tenant_id AND ${senderApprovedSql('s', "(m.plan->>'smsRoute')")})) AS sender_approved`;

export interface AttemptPair {
  message: MessageEntity;
  attempt: AttemptEntity;
  contact: ContactEntity;
  /** Whether the message has an attempt after this one (a fallback already started). */
  hasLaterAttempt: boolean;
}

/** A report's pair with every attempt of its message in order, `attempt` among them (the same object). */
export type ReportPair = AttemptPair & { partIndex: number | null; attempts: AttemptEntity[]; senderApproved: boolean };

/**
 * The row locks every transition takes, each with what the transition reads, in one statement.
 * Lock order is always the message, then the attempt (`FOR UPDATE OF m, a` locks in that order),
 * whichever path takes them: sends, reports and the policy never deadlock each other.
 */
@Injectable()
export class LockedRows {
  private rows: { m: EntityRows<MessageEntity>; a: EntityRows<AttemptEntity>; c: EntityRows<ContactEntity>; all: EntityRows<AttemptEntity> } | null = null;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get r() {
    this.rows ??= {
      m: new EntityRows(this.db, MessageEntity, 'm'),
      a: new EntityRows(this.db, AttemptEntity, 'a'),
      c: new EntityRows(this.db, ContactEntity, 'c'),
      all: new EntityRows(this.db, AttemptEntity, 'al'),
    };
    return this.rows;
  }

  /** One statement outside any transaction, prepared on its connection when used again (`queryOnce`). */
  private readonly prepared: Pick<Tx, 'query'> = { query: (sql, params = []) => queryOnce(this.db, sql, params) };

  /** A reader outside any transaction, for looks that need no lock (prepared as the locked reads are). */
  direct(): Pick<Tx, 'query'> {
    return this.prepared;
  }

  /** The message locked, with its attempts in order and its contact. */
  async forDecision(tx: Pick<Tx, 'query' | 'own'>, messageId: string, { lock = true }: { lock?: boolean } = {}): Promise<MessageForDecision | null> {
    const { m, a, c } = this.r;
    const [row] = await tx.query(
      `SELECT ${m.select}, ${c.one('c.id = m.contact_id')}, ${a.list('a.message_id = m.id', 'a.seq')}, ${SENDER_APPROVED}
       FROM messages m
       WHERE m.id = $1 ${lock ? 'FOR UPDATE OF m' : ''}`,
      [messageId],
    );
    if (!row) return null;
    const message = m.from(row)!;
    if (lock) tx.own?.(`messages:${message.id}`);
    return { message, contact: c.from(row)!, attempts: a.fromList(row), senderApproved: row.sender_approved === true };
  }

  /**
   * Several messages as `forDecision` reads them, unlocked, in one statement (the dispatcher's
   * peek); by default as a prepared statement on a pooled connection.
   */
  async peekMany(messageIds: string[], reader: Pick<Tx, 'query'> = this.prepared): Promise<Map<string, MessageForDecision>> {
    const found = new Map<string, MessageForDecision>();
    if (messageIds.length === 0) return found;
    const { m, a, c } = this.r;
    const rows = await reader.query<Record<string, unknown>>(
      // One index lookup per id: as `m.id = ANY($1)`, a plan made while the table was small
      // scanned all of it on every call. OFFSET 0 keeps the planner from making it a join.
      `SELECT ${m.select}, ${c.one('c.id = m.contact_id')}, ${a.list('a.message_id = m.id', 'a.seq')}, ${SENDER_APPROVED}
       FROM unnest($1::uuid[]) want (id) CROSS JOIN LATERAL (SELECT * FROM messages WHERE id = want.id OFFSET 0) m`,
      [messageIds],
    );
    for (const row of rows) {
      const message = m.from(row)!;
      found.set(message.id, { message, contact: c.from(row)!, attempts: a.fromList(row), senderApproved: row.sender_approved === true });
    }
    return found;
  }

  /**
   * An attempt and its message, both locked, with the contact (unlocked) for the adapter's view.
   * `lock: false` reads the same without locks, outside any transaction.
   */
  async pair(tx: Pick<Tx, 'query' | 'own'>, attemptId: string, { lock = true }: { lock?: boolean } = {}): Promise<AttemptPair | null> {
    return this.pairFrom(tx, `SELECT $1::uuid AS attempt_id, NULL::smallint AS part_index`, [attemptId], lock);
  }

  /**
   * The attempt a provider's report is about, found and locked in the same statement: by our own
   * attempt id when the provider echoes it, else by a part's provider id (a multipart SMS), else
   * by the attempt's provider id. `partIndex` says which part it was. With every attempt of the
   * message, so the decision that follows the report needs no read of its own.
   *
   * Every arm is driven by its own index, whatever the statistics say: the part's channel is
   * checked per part found, in a correlated subquery the planner cannot turn into a join. As a
   * join, a prepared (generic) plan made on a young table's statistics scanned every attempt of
   * the channel and probed the parts once for each — one receipt cost 16 ms at 2,500 attempts,
   * growing with the table.
   */
  async pairForReport(
    tx: Pick<Tx, 'query' | 'own'>,
    report: { channel: string; attemptId: string | null; providerMessageId: string | null },
    { lock = true }: { lock?: boolean } = {},
  ): Promise<ReportPair | null> {
    const pair = await this.pairFrom(
      tx,
      `SELECT attempt_id, part_index FROM (
         SELECT id AS attempt_id, NULL::smallint AS part_index, 0 AS pref FROM attempts WHERE id = $3::uuid
         UNION ALL
         SELECT p.attempt_id, p.part_index, 1 FROM attempt_parts p
         WHERE p.provider_message_id = $1 AND (SELECT x.channel FROM attempts x WHERE x.id = p.attempt_id) = $2
         UNION ALL
         SELECT id, NULL, 2 FROM attempts WHERE channel = $2 AND provider_message_id = $1
       ) f ORDER BY pref LIMIT 1`,
      [report.providerMessageId, report.channel, report.attemptId],
      lock,
      true,
    );
    return pair as ReportPair | null;
  }

  private async pairFrom(
    tx: Pick<Tx, 'query' | 'own'>,
    found: string,
    params: unknown[],
    lock: boolean,
    withAttempts = false,
  ): Promise<(AttemptPair & { partIndex: number | null; attempts?: AttemptEntity[]; senderApproved?: boolean }) | null> {
    const { m, a, c, all } = this.r;
    const [row] = await tx.query(
      `WITH found AS (${found})
       SELECT ${m.select}, ${a.select}, ${c.one('c.id = m.contact_id')}, found.part_index,
         ${withAttempts ? `${all.list('al.message_id = m.id', 'al.seq')}, ${SENDER_APPROVED}` : `EXISTS (SELECT 1 FROM attempts x WHERE x.message_id = a.message_id AND x.seq > a.seq) AS has_later`}
       FROM found JOIN attempts a ON a.id = found.attempt_id JOIN messages m ON m.id = a.message_id
       ${lock ? 'FOR UPDATE OF m, a' : ''}`,
      params,
    );
    if (!row) return null;
    const message = m.from(row)!;
    if (lock) tx.own?.(`messages:${message.id}`);
    const attempt = a.from(row)!;
    const pair = { message, attempt, contact: c.from(row)!, hasLaterAttempt: row.has_later === true, partIndex: (row.part_index as number | null) ?? null };
    if (!withAttempts) return pair;
    // The locked row is the freshest read of this attempt; the list holds it as that same object.
    const attempts = all.fromList(row).map((x) => (x.id === attempt.id ? attempt : x));
    return { ...pair, attempts, hasLaterAttempt: attempts.some((x) => x.seq > attempt.seq), senderApproved: row.sender_approved === true };
  }
}
