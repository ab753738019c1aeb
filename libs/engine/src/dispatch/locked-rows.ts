import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AttemptEntity, ContactEntity, MessageEntity } from '@tsunagu/database';
import { EntityRows } from '../infra/entity-rows';
import type { Tx } from '../infra/tx';

export interface MessageForDecision {
  message: MessageEntity;
  attempts: AttemptEntity[];
  contact: ContactEntity;
}

export interface AttemptPair {
  message: MessageEntity;
  attempt: AttemptEntity;
  contact: ContactEntity;
  /** Whether the message has an attempt after this one (a fallback already started). */
  hasLaterAttempt: boolean;
}

/**
 * The row locks every transition takes, each with what the transition reads, in one statement.
 * Lock order is always the message, then the attempt (`FOR UPDATE OF m, a` locks in that order),
 * whichever path takes them: sends, reports and the policy never deadlock each other.
 */
@Injectable()
export class LockedRows {
  private rows: { m: EntityRows<MessageEntity>; a: EntityRows<AttemptEntity>; c: EntityRows<ContactEntity> } | null = null;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  private get r() {
    this.rows ??= {
      m: new EntityRows(this.db, MessageEntity, 'm'),
      a: new EntityRows(this.db, AttemptEntity, 'a'),
      c: new EntityRows(this.db, ContactEntity, 'c'),
    };
    return this.rows;
  }

  /** A reader outside any transaction, for looks that need no lock. */
  direct(): Pick<Tx, 'query'> {
    return { query: async <R>(sql: string, params: readonly unknown[] = []) => (await this.db.query(sql, [...params])) as R[] };
  }

  /** The message locked, with its attempts in order and its contact. */
  async forDecision(tx: Tx, messageId: string): Promise<MessageForDecision | null> {
    const { m, a, c } = this.r;
    const rows = await tx.query(
      `SELECT ${m.select}, ${c.select}, ${a.select}
       FROM messages m JOIN contacts c ON c.id = m.contact_id LEFT JOIN attempts a ON a.message_id = m.id
       WHERE m.id = $1 ORDER BY a.seq FOR UPDATE OF m`,
      [messageId],
    );
    if (rows.length === 0) return null;
    return {
      message: m.from(rows[0])!,
      contact: c.from(rows[0])!,
      attempts: rows.map((row) => a.from(row)).filter((x): x is AttemptEntity => x !== null),
    };
  }

  /**
   * An attempt and its message, both locked, with the contact (unlocked) for the adapter's view.
   * `lock: false` reads the same without locks, outside any transaction.
   */
  async pair(tx: Pick<Tx, 'query'>, attemptId: string, { lock = true }: { lock?: boolean } = {}): Promise<AttemptPair | null> {
    const { m, a, c } = this.r;
    const [row] = await tx.query(
      `SELECT ${m.select}, ${a.select}, ${c.select},
         EXISTS (SELECT 1 FROM attempts x WHERE x.message_id = a.message_id AND x.seq > a.seq) AS has_later
       FROM messages m JOIN attempts a ON a.message_id = m.id JOIN contacts c ON c.id = m.contact_id
       WHERE a.id = $1 ${lock ? 'FOR UPDATE OF m, a' : ''}`,
      [attemptId],
    );
    if (!row) return null;
    return { message: m.from(row)!, attempt: a.from(row)!, contact: c.from(row)!, hasLaterAttempt: row.has_later === true };
  }
}
