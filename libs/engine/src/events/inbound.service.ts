import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ChannelEvent, newId } from '@tsunagu/core';
import { ContactEntity, MessageEntity } from '@tsunagu/database';
import { parsePhone } from '@tsunagu/security';
import { CallbackWriter } from '../callbacks/callback.writer';
import { ContactService } from '../contacts/contact.service';
import { StateRecorder } from './state-recorder';
import { ManagerTx, inManagedTx } from '../infra/tx';
import { rowsOf } from '../infra/rows-of';

/** How long an identical SMS MO counts as the SMSC offering the same one again. */
const MO_REDELIVERY_SECONDS = 120;

/**
 * An SMS from this contact with this text to this recipient in the window before `occurredAt`
 * ($1 contact, $2 text, $3 recipient, $4 occurredAt, $5 window seconds). Found through the
 * contact's one conversation on `messages_conversation (conversation_id, created_at)`: only the
 * window's rows are read. By `contact_id` alone, which no index leads with, every SMS reply read
 * the whole messages table.
 */
export const MO_SEEN = `SELECT 1 FROM messages
  WHERE conversation_id = (SELECT id FROM conversations WHERE contact_id = $1) AND created_at > $4::timestamptz - make_interval(secs => $5)
    AND contact_id = $1 AND direction = 'inbound' AND channel = 'sms' AND text IS NOT DISTINCT FROM $2
    AND metadata->>'recipient' IS NOT DISTINCT FROM $3
  LIMIT 1`;

/**
 * A long SMS reply whose missing parts never came: what arrived, said to be partial in the inbound
 * message's metadata (`incomplete`, and of how many parts how many came), which GET /v1/messages/{id}
 * and the `message.inbound` callback carry. Nothing for a whole reply.
 */
function incompleteness(event: ChannelEvent): { incomplete?: true; partsReceived?: number; parts?: number } {
  if (event.raw?.incomplete !== true) return {};
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
  const [partsReceived, parts] = [count(event.raw.partsReceived), count(event.raw.parts)];
  return { incomplete: true, ...(partsReceived ? { partsReceived } : {}), ...(parts ? { parts } : {}) };
}

/**
 * What people send us: replies become inbound messages in their conversation, and stop words,
 * unfollows and follows change what the policy may use.
 */
@Injectable()
export class InboundService {
  private readonly log = new Logger(InboundService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly contacts: ContactService,
    private readonly recorder: StateRecorder,
    private readonly callbacks: CallbackWriter,
  ) {}

  async handle(event: ChannelEvent): Promise<void> {
    const tenantId = event.tenantId ?? (await this.tenantOfRecipient(event.recipient));
    if (!tenantId) {
      await this.unmatched(event, 'unknown_recipient');
      return;
    }
    await inManagedTx(this.db, async (tx) => {
      const m = tx.m;
      const contact = await this.findContact(m, tenantId, event);
      if (!contact) {
        await this.unmatched(event, 'unknown_sender', m);
        return;
      }
      const fresh = await this.recorder.eventOnce(tx, {
        tenantId,
        messageId: null,
        attemptId: null,
        source: event.channel,
        type: `inbound.${event.type}`,
        providerEventId: event.providerEventId,
        occurredAt: event.occurredAt,
        detail: { contactId: contact.id, contentType: event.contentType ?? null },
      });
      if (!fresh) return;
      if (event.type === 'opt_out') await this.optOut(m, contact, event.channel);
      else if (event.type === 'opt_in') await this.optIn(m, contact, event);
      else await this.message(tx, contact, event);
    });
  }

  private async findContact(m: EntityManager, tenantId: string, event: ChannelEvent): Promise<ContactEntity | null> {
    if (event.from?.phoneE164) {
      let e164: string;
      try {
        e164 = parsePhone(event.from.phoneE164).e164;
      } catch {
        return null;
      }
      const ref = await this.contacts.upsert(m, tenantId, e164);
      return m.getRepository(ContactEntity).findOneBy({ id: ref.contactId });
    }
    // Locked, as the number's upsert locks its row: an erasure committing meanwhile would otherwise
    // get this reply's text, or a follow's user id, written onto the contact it has just emptied.
    // An erasure that went first has cleared the user id, so the locked re-read finds no one.
    if (event.from?.lineUserId) {
      return m.getRepository(ContactEntity).findOne({ where: { tenantId, lineUserId: event.from.lineUserId }, lock: { mode: 'pessimistic_write' } });
    }
    return null;
  }

  private async message(tx: ManagerTx, contact: ContactEntity, event: ChannelEvent): Promise<void> {
    const m = tx.m;
    if (event.channel === 'sms' && (await this.redelivered(m, contact, event))) return;
    const conversation = rowsOf<{ id: string }>(
      await m.query(`UPDATE conversations SET last_activity_at = now() WHERE contact_id = $1 RETURNING id`, [contact.id]),
    );
    const id = newId();
    const inserted: unknown[] = await m.query(
      `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, channel, status, text, provider_event_id, metadata, created_at)
       VALUES ($1, $2, $3, $4, 'inbound', $5, 'received', $6, $7, $8, $9)
       ON CONFLICT (channel, provider_event_id) WHERE provider_event_id IS NOT NULL DO NOTHING RETURNING 1`,
      [id, contact.tenantId, contact.id, conversation[0].id, event.channel, event.text ?? null, event.providerEventId,
        JSON.stringify({
          contentType: event.contentType ?? 'text',
          ...(event.recipient ? { recipient: event.recipient } : {}),
          ...incompleteness(event),
        }), event.occurredAt],
    );
    if (inserted.length === 0) return;
    const message = await m.getRepository(MessageEntity).findOneByOrFail({ id });
    await this.callbacks.write(tx, message, { type: 'message.inbound', status: 'received', channel: event.channel, contactId: contact.id, text: event.text ?? null });
  }

  /**
   * SMPP gives an MO no id, and an SMSC offers again an MO whose deliver_sm got no response (the
   * worker died holding it, the bind dropped): the same sender, recipient and text within
   * `MO_REDELIVERY_SECONDS` is that redelivery, recorded as an event but not as a second message.
   * The per-contact lock makes two racing offers take turns.
   */
  private async redelivered(m: EntityManager, contact: ContactEntity, event: ChannelEvent): Promise<boolean> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`mo:${contact.id}`]);
    const seen: unknown[] = await m.query(MO_SEEN, [contact.id, event.text ?? null, event.recipient ?? null, event.occurredAt, MO_REDELIVERY_SECONDS]);
    return seen.length > 0;
  }

  private async optOut(m: EntityManager, contact: ContactEntity, channel: string): Promise<void> {
    await m.query(
      `UPDATE contacts SET opt_outs = CASE WHEN $2 = ANY(opt_outs) THEN opt_outs ELSE array_append(opt_outs, $2) END,
         line_following = CASE WHEN $2 = 'line' THEN false ELSE line_following END, updated_at = now() WHERE id = $1`,
      [contact.id, channel],
    );
  }

  private async optIn(m: EntityManager, contact: ContactEntity, event: ChannelEvent): Promise<void> {
    await m.query(
      `UPDATE contacts SET opt_outs = array_remove(opt_outs, $2),
         line_following = CASE WHEN $2 = 'line' THEN true ELSE line_following END,
         line_user_id = CASE WHEN $2 = 'line' THEN COALESCE($3, line_user_id) ELSE line_user_id END, updated_at = now()
       WHERE id = $1`,
      [contact.id, event.channel, event.from?.lineUserId ?? null],
    );
  }

  private async tenantOfRecipient(recipient: string | undefined): Promise<string | null> {
    if (!recipient) return null;
    const rows: { tenant_id: string }[] = await this.db.query(
      // The organisation the address is approved for (at most one); else the one whose suspended
      // sender used it last: a reply to a suspended number still belongs to whoever sent from it.
      `SELECT tenant_id FROM senders WHERE address = $1 AND state <> 'requested' ORDER BY state = 'approved' DESC, updated_at DESC LIMIT 1`,
      [recipient],
    );
    return rows[0]?.tenant_id ?? null;
  }

  /** Kept for operators (no body, no number), so an unroutable reply is visible, not lost silently. */
  private async unmatched(event: ChannelEvent, reason: string, m?: EntityManager): Promise<void> {
    this.log.warn({ channel: event.channel, type: event.type, reason }, 'inbound event matched no tenant or contact');
    await (m ?? this.db).query(`INSERT INTO unparsed_inbound (id, channel, reason, detail) VALUES ($1, $2, $3, $4)`, [
      newId(),
      event.channel,
      reason,
      JSON.stringify({ type: event.type, providerEventId: event.providerEventId, account: event.account ?? null }),
    ]);
  }
}
