import { AddressInfo, createConnection, createServer, Server, Socket } from 'node:net';
import { newPdu } from '../smpp/smpp.types';

const BIND_RESPS = new Set([0x80000001, 0x80000002, 0x80000009]);
const UNBIND = new Set([0x00000006, 0x80000006]);
const DELIVER_SM_RESP = 0x80000005;
/** Far above the sequence numbers a stand-in SMSC uses, so an injected PDU's resp is never taken for one of its own. */
const FIRST_SEQUENCE = 0x7f000000;

export interface SmscTap {
  /** Point the ESME here instead of at the SMSC. */
  port: number;
  /**
   * Sends one deliver_sm to the ESME on its bound connection, between two of the SMSC's PDUs, and
   * resolves with the command_status of the ESME's deliver_sm_resp.
   */
  deliver(fields: Record<string, unknown>, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** Cuts a byte stream into whole SMPP PDUs by their command_length. */
class PduFramer {
  private held = Buffer.alloc(0);
  broken = false;

  constructor(private readonly onPdu: (commandId: number, status: number, sequence: number) => void) {}

  /** Takes the next bytes; true when they end exactly on a PDU boundary. */
  push(chunk: Buffer): boolean {
    if (this.broken) return false;
    this.held = Buffer.concat([this.held, chunk]);
    while (this.held.length >= 16) {
      const length = this.held.readUInt32BE(0);
      if (length < 16 || length > 65536) {
        this.broken = true; // a malformed PDU: the stream cannot be cut any more, so nothing is slipped in
        return false;
      }
      if (this.held.length < length) break;
      this.onPdu(this.held.readUInt32BE(4), this.held.readUInt32BE(8), this.held.readUInt32BE(12));
      this.held = this.held.subarray(length);
    }
    return this.held.length === 0;
  }
}

interface Tapped {
  esme: Socket;
  bound: boolean;
  atBoundary: boolean;
  queued: Buffer[];
}

/**
 * A TCP hop between an ESME and an SMSC that forwards every byte as it came, chunk for chunk (so
 * an SMSC's coalesced writes reach the ESME as one read still), and can slip extra deliver_sm PDUs
 * towards the ESME: receipts a scripted SMSC does not send (a second, contradicting stat; a date
 * that is not a date). Their resps go on to the SMSC, which ignores a sequence number it never sent.
 */
export async function startSmscTap(upstream: { host: string; port: number }): Promise<SmscTap> {
  const tapped = new Set<Tapped>();
  const sockets = new Set<Socket>();
  const waiting = new Map<number, (status: number) => void>();
  let nextSequence = FIRST_SEQUENCE;

  const server: Server = createServer((esme) => {
    const smsc = createConnection(upstream);
    const t: Tapped = { esme, bound: false, atBoundary: true, queued: [] };
    tapped.add(t);
    for (const s of [esme, smsc]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    esme.on('close', () => {
      tapped.delete(t);
      smsc.destroy();
    });
    smsc.on('close', () => esme.destroy());

    const fromSmsc = new PduFramer((commandId, status) => {
      if (BIND_RESPS.has(commandId)) t.bound = status === 0;
      if (UNBIND.has(commandId)) t.bound = false;
    });
    const fromEsme = new PduFramer((commandId, status, sequence) => {
      if (UNBIND.has(commandId)) t.bound = false;
      if (commandId === DELIVER_SM_RESP) {
        waiting.get(sequence)?.(status);
        waiting.delete(sequence);
      }
    });
    smsc.on('data', (chunk: Buffer) => {
      esme.write(chunk);
      t.atBoundary = fromSmsc.push(chunk);
      if (t.atBoundary) for (const pdu of t.queued.splice(0)) esme.write(pdu);
    });
    esme.on('data', (chunk: Buffer) => {
      smsc.write(chunk);
      fromEsme.push(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as AddressInfo).port,
    deliver(fields, timeoutMs = 5000) {
      const t = [...tapped].reverse().find((c) => c.bound && !c.esme.destroyed);
      if (!t) return Promise.reject(new Error('no ESME is bound through the tap'));
      const sequence = nextSequence++;
      const bytes = newPdu('deliver_sm', { service_type: '', source_addr: '', destination_addr: '', esm_class: 0x04, data_coding: 0, ...fields, sequence_number: sequence }).toBuffer();
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(sequence);
          reject(new Error(`no deliver_sm_resp within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(sequence, (status) => {
          clearTimeout(timer);
          resolve(status);
        });
        if (t.atBoundary) t.esme.write(bytes);
        else t.queued.push(bytes);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
