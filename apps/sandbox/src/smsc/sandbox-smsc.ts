import { AddressInfo } from 'node:net';
import type { Router } from 'express';
import { coalesceTurn, ESME, newPdu, smpp, SmppPdu, SmppServer, SmppSession } from '@tsunagu/channel-sms';
import { concatMoPdus, decodeSubmit, malformedPdu, moPdu, receiptPdu, SandboxStat } from './smsc.pdus';
import { smscControlRouter } from './smsc-control.router';
import { SandboxSmscControl, SandboxSmscOptions, SmscOutcome, SubmitRecord } from './smsc.types';

interface Conn {
  id: number;
  session: SmppSession;
  bound: boolean;
  /** deliver_sm we sent, waiting for the ESME's resp. */
  awaiting: Map<number, (status: number) => void>;
  /** We sent unbind: our side stays open until the ESME drops the connection. */
  unbinding: boolean;
}

interface Message {
  record: SubmitRecord;
  conn: Conn;
  receiptTimer?: NodeJS.Timeout;
  receiptSent: boolean;
  cancelled: boolean;
}

const RECEIPT_STAT: Partial<Record<SmscOutcome, SandboxStat>> = {
  delivered: 'DELIVRD',
  undeliverable: 'UNDELIV',
  expired: 'EXPIRED',
  rejected: 'REJECTD',
};

export interface SandboxSmsc {
  port: number;
  control: SandboxSmscControl;
  router: Router;
  close(): Promise<void>;
}

function parseOutcome(value: string): SmscOutcome | null {
  if (/^submit_error:(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(value)) return value as SmscOutcome;
  return ['delivered', 'undeliverable', 'expired', 'rejected', 'no_receipt', 'drop_connection', 'empty_id', 'long_id'].includes(value)
    ? (value as SmscOutcome)
    : null;
}

/**
 * A stand-in SMSC speaking SMPP 3.4 over TCP: binds with credentials, submit_sm with scripted
 * outcomes per destination, receipts (text and TLVs), cancel_sm, enquire_link, MO injection, and
 * the failures real SMSCs produce (throttling, dropped binds, early, duplicate and malformed
 * receipts, refused binds, malformed PDUs).
 */
export async function startSandboxSmsc(opts: SandboxSmscOptions): Promise<SandboxSmsc> {
  const log = opts.log ?? (() => undefined);
  const conns = new Set<Conn>();
  const scripts = new Map<string, SmscOutcome>();
  const messages = new Map<string, Message>();
  let records: SubmitRecord[] = [];
  let recordIndex = 0;
  let nextId = 0x10000 + Math.floor(Math.random() * 0xfffff);
  let nextConnId = 1;
  const failures = new Map<string, { until: number; count?: number }>();
  let drop: { timer?: NodeJS.Timeout; dropAfterMs: number } | null = null;
  const deliverResp: Record<number, number> = {};
  let genericNack = 0;
  let unbindResp = 0;
  const pendingReceipts: SmppPdu[] = [];
  let second = { at: 0, count: 0 };

  const active = (mode: string) => {
    const f = failures.get(mode);
    return f && f.until > Date.now() ? f : null;
  };
  const norm = (addr: string) => addr.replace(/^\+/, '');

  function sendTo(conn: Conn, pdu: SmppPdu): void {
    if (conn.session.socket.destroyed) return;
    coalesceTurn(conn.session.socket); // one write per turn, as a carrier's SMSC batches its own
    conn.session.send(pdu);
  }

  function sendReceipt(preferred: Conn, pdu: SmppPdu, tries = 0): void {
    const target = preferred.bound && !preferred.session.socket.destroyed ? preferred : [...conns].find((c) => c.bound);
    if (!target) {
      pendingReceipts.push(pdu); // delivered when an ESME binds again, as SMSCs queue receipts
      return;
    }
    sendTo(target, pdu);
    // An ESME answering a temporary error gets the receipt again later, as SMSCs redeliver.
    target.awaiting.set(pdu.sequence_number, (status) => {
      if (status === ESME.ROK || tries >= 20) return;
      setTimeout(() => sendReceipt(target, pdu, tries + 1), 500).unref();
    });
  }

  function scheduleReceipt(message: Message, outcome: SmscOutcome, delayMs: number | 'now'): void {
    const stat = RECEIPT_STAT[outcome];
    if (!stat || (message.record.registeredDelivery & 0x03) === 0) return;
    const idNumber = parseInt(message.record.messageId.replace(/^.*_/, ''), opts.messageIdFormat === 'decimal' ? 10 : 16);
    const receiptId =
      opts.receiptIdFormat === 'decimal' ? String(idNumber) : opts.receiptIdFormat === 'hex' ? idNumber.toString(16).toUpperCase() : message.record.messageId;
    const fire = () => {
      if (message.cancelled) return;
      message.receiptSent = true;
      const copies = active('duplicate_receipts')?.count ?? 1;
      const malformed = !!active('malformed_receipts');
      for (let i = 0; i < Math.max(1, copies); i++) {
        sendReceipt(message.conn, receiptPdu({
          receiptId, stat, handset: message.record.destination, sender: message.record.source,
          submittedAt: new Date(message.record.receivedAt), textStart: message.record.text, malformed, textOnly: opts.receiptTlvs === false,
        }));
      }
    };
    if (delayMs === 'now') fire();
    else message.receiptTimer = setTimeout(fire, delayMs);
  }

  function newMessageId(outcome: SmscOutcome): string {
    if (outcome === 'empty_id') return '';
    if (outcome === 'long_id') return 'X'.repeat(65);
    const n = nextId++;
    if (opts.messageIdFormat === 'decimal') return String(n);
    const hex = n.toString(16).toUpperCase().padStart(10, '0');
    return opts.messageIdFormat === 'prefixed' ? `SMSC_01_${hex}` : hex;
  }

  function throttledNow(): boolean {
    if (active('throttle')) return true;
    const max = opts.throttle?.maxPerSecond;
    if (!max) return false;
    const now = Math.floor(Date.now() / 1000);
    if (second.at !== now) second = { at: now, count: 0 };
    return ++second.count > max;
  }

  function onSubmit(conn: Conn, pdu: SmppPdu): void {
    const decoded = decodeSubmit(pdu);
    const destination = norm(String(pdu.destination_addr ?? ''));
    const outcome = scripts.get(destination) ?? opts.defaultOutcome ?? 'delivered';
    let status: number = ESME.ROK;
    if (throttledNow()) status = ESME.RTHROTTLED;
    else if (outcome.startsWith('submit_error:')) status = Number(outcome.slice('submit_error:'.length));
    const swallow = !!drop || (status === ESME.ROK && outcome === 'drop_connection');
    const messageId = status === ESME.ROK && !swallow ? newMessageId(outcome) : '';
    const record: SubmitRecord = {
      index: recordIndex++,
      sessionId: conn.id,
      sequenceNumber: pdu.sequence_number,
      source: String(pdu.source_addr ?? ''),
      sourceTon: Number(pdu.source_addr_ton ?? 0),
      destination,
      dataCoding: Number(pdu.data_coding ?? 0),
      esmClass: Number(pdu.esm_class ?? 0),
      registeredDelivery: Number(pdu.registered_delivery ?? 0),
      ...(pdu.validity_period instanceof Date && !Number.isNaN(pdu.validity_period.getTime()) ? { validityUntil: pdu.validity_period.toISOString() } : {}),
      ...(decoded.udhRef !== undefined ? { udhRef: decoded.udhRef, udhTotal: decoded.udhTotal, udhSeq: decoded.udhSeq } : {}),
      bytes: decoded.body.toString('hex'),
      text: decoded.text,
      messageId,
      status: swallow ? -1 : status,
      receivedAt: new Date().toISOString(),
    };
    records.push(record);
    if (records.length > (opts.maxRecords ?? 200_000)) records = records.slice(-Math.floor((opts.maxRecords ?? 200_000) / 2));

    if (drop) {
      // Stop answering; a moment later every connection goes, with these submits in flight.
      drop.timer ??= setTimeout(() => {
        drop = null;
        for (const c of conns) c.session.destroy();
      }, drop.dropAfterMs);
      return;
    }
    if (swallow) {
      setTimeout(() => conn.session.destroy(), 20);
      return;
    }
    const resp = newPdu('submit_sm_resp', { sequence_number: pdu.sequence_number, command_status: status, message_id: messageId });
    if (status !== ESME.ROK) return sendTo(conn, resp);
    const message: Message = { record, conn, receiptSent: false, cancelled: false };
    if (messageId) messages.set(messageId, message);
    if (active('early_receipt')) {
      scheduleReceipt(message, outcome, 0);
      setTimeout(() => sendTo(conn, resp), 30); // the receipt overtakes its resp
      return;
    }
    if (active('receipt_with_resp')) {
      // One write: the ESME reads the resp and its receipt together and handles both in one turn.
      conn.session.socket.cork();
      sendTo(conn, resp);
      scheduleReceipt(message, outcome, 'now');
      conn.session.socket.uncork();
      return;
    }
    sendTo(conn, resp);
    scheduleReceipt(message, outcome, opts.receiptDelayMs ?? 20);
  }

  function onPdu(conn: Conn, pdu: SmppPdu): void {
    const bind = pdu.command.startsWith('bind_');
    if (pdu.isResponse()) {
      if (pdu.command === 'deliver_sm_resp' || pdu.command === 'data_sm_resp') {
        deliverResp[pdu.command_status] = (deliverResp[pdu.command_status] ?? 0) + 1;
        conn.awaiting.get(pdu.sequence_number)?.(pdu.command_status);
        conn.awaiting.delete(pdu.sequence_number);
      } else if (pdu.command === 'generic_nack') {
        genericNack++;
      } else if (pdu.command === 'unbind_resp') {
        unbindResp++;
      }
      return;
    }
    if (bind) {
      let status: number = ESME.ROK;
      if (active('refuse_binds') || pdu.system_id !== opts.systemId) status = ESME.RBINDFAIL;
      else if (pdu.password !== opts.password) status = ESME.RINVPASWD;
      sendTo(conn, pdu.response({ command_status: status, system_id: 'TSUNAGU-SMSC' }));
      log(`smsc: bind ${status === ESME.ROK ? 'accepted' : `refused 0x${status.toString(16)}`} (conn ${conn.id})`);
      if (status === ESME.ROK) {
        conn.bound = true;
        for (const receipt of pendingReceipts.splice(0)) sendTo(conn, receipt);
      }
      return;
    }
    if (!conn.bound && pdu.command !== 'enquire_link' && pdu.command !== 'unbind') {
      return sendTo(conn, pdu.command === 'unknown' ? pdu.response() : pdu.response({ command_status: ESME.RINVBNDSTS }));
    }
    switch (pdu.command) {
      case 'submit_sm':
        return onSubmit(conn, pdu);
      case 'cancel_sm': {
        const message = messages.get(String(pdu.message_id ?? ''));
        const ok = !!message && !message.receiptSent && !message.cancelled;
        if (ok) {
          message.cancelled = true;
          clearTimeout(message.receiptTimer);
        }
        return sendTo(conn, pdu.response({ command_status: ok ? ESME.ROK : ESME.RCANCELFAIL }));
      }
      case 'enquire_link':
        return sendTo(conn, pdu.response());
      case 'unbind':
        sendTo(conn, pdu.response());
        conn.bound = false;
        setTimeout(() => conn.session.close(), 10);
        return;
      default:
        return sendTo(conn, pdu.response({ command_status: 0x03 })); // generic_nack for unknown commands
    }
  }

  // Half-open sockets allowed so that an unbinding connection can stay open; every other one
  // closes on the ESME's FIN, as it would by default.
  const server: SmppServer = smpp.createServer({ allowHalfOpen: true }, (session) => {
    const conn: Conn = { id: nextConnId++, session, bound: false, awaiting: new Map(), unbinding: false };
    conns.add(conn);
    session.socket.on('end', () => {
      if (!conn.unbinding) session.socket.end();
    });
    session.on('pdu', (pdu: SmppPdu) => {
      try {
        onPdu(conn, pdu);
      } catch {
        session.destroy();
      }
    });
    session.on('error', () => session.destroy());
    session.on('close', () => {
      conn.bound = false;
      conns.delete(conn);
    });
  });

  /** One deliver_sm to the bound ESME; resolves with its deliver_sm_resp status. */
  function offer(pdu: SmppPdu): Promise<{ status: number }> {
    const conn = [...conns].find((c) => c.bound);
    if (!conn) return Promise.reject(new Error('no ESME is bound'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no deliver_sm_resp')), 10000);
      conn.session.send(pdu);
      conn.awaiting.set(pdu.sequence_number, (status) => {
        clearTimeout(timer);
        resolve({ status });
      });
    });
  }

  const control: SandboxSmscControl = {
    script(destination, outcome) {
      if (!parseOutcome(outcome)) throw new RangeError(`unknown outcome "${outcome}"`);
      scripts.set(norm(destination), outcome);
    },
    fail(request) {
      const until = Date.now() + (request.durationMs ?? 1000);
      if (request.mode === 'drop') drop = { dropAfterMs: request.dropAfterMs ?? 100 };
      else if (request.mode === 'malformed_pdu') {
        const bytes = malformedPdu(request.kind ?? 'too_long');
        for (const c of conns) if (c.bound && !c.session.socket.destroyed) c.session.socket.write(bytes);
      } else if (request.mode === 'unbind') {
        // As an SMSC going down for maintenance: from here it refuses submits (RINVBNDSTS) on
        // these connections and leaves dropping them to the ESME, keeping its side open even
        // after the ESME's FIN, as some SMSCs do.
        for (const c of conns) {
          if (!c.bound) continue;
          c.bound = false;
          c.unbinding = true;
          sendTo(c, newPdu('unbind'));
        }
      } else if (request.mode === 'forget_binds') {
        for (const c of conns) c.bound = false;
      } else failures.set(request.mode, { until, count: request.count });
      log(`smsc: failure mode ${request.mode}${request.kind ? ` (${request.kind})` : ''}`);
    },
    injectMo(mo) {
      return offer(moPdu(mo.from, mo.to, mo.text));
    },
    async injectConcatMo(mo) {
      const statuses: number[] = [];
      for (const pdu of concatMoPdus(mo)) statuses.push((await offer(pdu)).status);
      return { statuses };
    },
    injectDeliver(fields, command = 'deliver_sm') {
      return offer(newPdu(command, { service_type: '', source_addr: '', destination_addr: '', esm_class: 0x04, data_coding: 0, ...fields }));
    },
    records: () => records,
    submitsTo: (destination) => records.filter((r) => r.destination === norm(destination)),
    submitCount: () => recordIndex,
    responses: () => ({ deliverResp: { ...deliverResp }, genericNack, unbindResp }),
    boundCount: () => [...conns].filter((c) => c.bound).length,
    connectionCount: () => conns.size,
    connectionsOpened: () => nextConnId - 1,
    reset() {
      scripts.clear();
      failures.clear();
      if (drop?.timer) clearTimeout(drop.timer);
      drop = null;
      for (const m of messages.values()) clearTimeout(m.receiptTimer);
      messages.clear();
      records = [];
      recordIndex = 0;
      pendingReceipts.length = 0;
      genericNack = 0;
      unbindResp = 0;
      for (const k of Object.keys(deliverResp)) delete deliverResp[Number(k)];
    },
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log(`smsc: listening on port ${port}`);

  return {
    port,
    control,
    router: smscControlRouter(control),
    async close() {
      control.reset();
      for (const c of conns) c.session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { parseOutcome };
