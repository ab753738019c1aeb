import { Sandboxes } from '../../apps/sandbox/src/start-sandboxes';
import { SENDER } from './system';

/** mulberry32: a small seeded PRNG, so a run's mix and fault schedule can be replayed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What the providers are scripted to do with one message (and what it should exercise). */
export const KINDS = {
  rcs_delivered: 20, // RBM capable, DELIVERED
  rcs_read_dup: 8, // RBM READ (half before DELIVERED), every event pushed twice
  rcs_500_applied: 5, // RBM stores the message but answers 500: the retry must get 409, not a 2nd message
  rcs_not_capable: 17, // RBM 404 → SMS delivered
  rcs_timeout_sms: 12, // RBM never delivers → timeout → SMS delivered
  sms_undeliv_line: 10, // no RCS, SMS UNDELIV → LINE push
  otp: 10, // SMS only
  reply_sms: 8, // no RCS, SMS delivered, then the person replies by SMS
  reply_line: 5, // SMS UNDELIV → LINE, then the person replies on LINE
  rcs_revoke_race: 5, // RBM delivers just about at the RCS deadline: revoke vs DELIVERED
} as const;
export type Kind = keyof typeof KINDS;

export interface Planned {
  i: number;
  kind: Kind;
  /** E.164 and the SMSC's form (no +). */
  e164: string;
  smscAddr: string;
  /** The 10 digits after the leading 0 of the national form: what the PII scan looks for. */
  core: string;
  lineUserId?: string;
  key: string;
  body: Record<string, unknown>;
  reply?: { channel: 'sms' | 'line'; text: string };
}

export interface MixOptions {
  seed: number;
  count: number;
  /** Canary tag written in every body and reply: it must never appear in a log line. */
  tag: string;
  rcsTimeoutSeconds: number;
}

function pick(rand: () => number): Kind {
  const total = Object.values(KINDS).reduce((s, w) => s + w, 0);
  let r = rand() * total;
  for (const [kind, weight] of Object.entries(KINDS) as [Kind, number][]) {
    if ((r -= weight) < 0) return kind;
  }
  return 'rcs_delivered';
}

/** Plans every message of the run from the seed: kind, a phone of its own, a body of its own. */
export function planMessages(opts: MixOptions): Planned[] {
  const rand = mulberry32(opts.seed);
  const base = 10_000_000 + Math.floor(rand() * 80_000_000);
  const out: Planned[] = [];
  for (let i = 0; i < opts.count; i++) {
    const kind = pick(rand);
    const digits = String((base + i * 7) % 100_000_000).padStart(8, '0');
    const national = `090${digits}`;
    const e164 = `+8190${digits}`;
    // Every written form a CRM uses: the scan must find any of them in a log.
    const forms = [e164, national, `090-${digits.slice(0, 4)}-${digits.slice(4)}`, `+81 90 ${digits.slice(0, 4)} ${digits.slice(4)}`];
    const phone = forms[Math.floor(rand() * forms.length)];
    const serial = String(i).padStart(5, '0');
    const withLine = kind === 'sms_undeliv_line' || kind === 'reply_line';
    const lineUserId = withLine ? `U${(opts.seed >>> 0).toString(16).padStart(8, '0')}${serial.padStart(24, '0')}` : undefined;
    const text =
      kind === 'otp' ? `認証コード: ${String(Math.floor(rand() * 1e6)).padStart(6, '0')} ${opts.tag} ${serial}` : `${opts.tag} ${serial} ご予約は明日10時です。`;
    const body: Record<string, unknown> = {
      to: { phone, ...(lineUserId ? { lineUserId } : {}) },
      category: kind === 'otp' ? 'otp' : 'transactional',
      text,
      sender: SENDER,
      metadata: { reference: `soak-${i}` },
    };
    const reply =
      kind === 'reply_sms'
        ? { channel: 'sms' as const, text: `${opts.tag} ${serial} 了解です` }
        : kind === 'reply_line'
          ? { channel: 'line' as const, text: `${opts.tag} ${serial} ありがとう` }
          : undefined;
    out.push({ i, kind, e164, smscAddr: e164.slice(1), core: `90${digits}`, lineUserId, key: `soak-${opts.seed}-${i}`, body, reply });
  }
  return out;
}

/** Scripts the stand-ins for one message before it is posted. */
export function scriptProviders(s: Sandboxes, p: Planned, rand: () => number, rcsTimeoutSeconds: number): void {
  const rbm = s.rbm.control;
  const smsc = s.smsc.control;
  switch (p.kind) {
    case 'rcs_delivered':
      break;
    case 'rcs_read_dup':
      rbm.script(p.e164, { outcome: 'read', afterMs: 200, duplicateEvents: true, readBeforeDelivered: rand() < 0.5 });
      break;
    case 'rcs_500_applied':
      rbm.script(p.e164, { outcome: '500_after_applying', afterMs: 300 });
      break;
    case 'rcs_not_capable':
    case 'reply_sms':
      rbm.script(p.e164, 'not_capable');
      break;
    case 'rcs_timeout_sms':
      rbm.script(p.e164, 'never_delivered');
      break;
    case 'sms_undeliv_line':
    case 'reply_line':
      rbm.script(p.e164, rand() < 0.5 ? 'not_capable' : 'never_delivered');
      smsc.script(p.smscAddr, 'undeliverable');
      break;
    case 'otp':
      break;
    case 'rcs_revoke_race':
      rbm.script(p.e164, { outcome: 'delivered', afterMs: Math.round(rcsTimeoutSeconds * 1000 + (rand() - 0.5) * 400) });
      break;
  }
}
