import { createHash } from 'node:crypto';
import {
  SandboxLineChannel,
  SandboxLineMessageRecord,
  SandboxLineOutcome,
  SandboxLineRecords,
  SandboxLineRequestRecord,
} from './sandbox-line.types';

/** An earlier accepted request for a retry key: what a 409 answers with. */
export interface AcceptedRetry {
  requestId: string;
  sentMessageIds: string[];
}

/**
 * Everything the LINE stand-in remembers: scripts per recipient, accepted retry keys, followers,
 * and the records the tests and the soak read. In memory; reset by `/control/reset`.
 */
export class SandboxLineState {
  readonly requests: SandboxLineRequestRecord[] = [];
  readonly messages: SandboxLineMessageRecord[] = [];
  private readonly scripts = new Map<string, SandboxLineOutcome[]>();
  private readonly accepted = new Map<string, AcceptedRetry>();
  private readonly followers = new Map<string, Map<string, { since: string; everBlocked: boolean; following: boolean }>>();
  private readonly sentPerChannel = new Map<string, number>();
  private seq = 0;
  private messageSeq = 0;

  constructor(readonly channels: readonly SandboxLineChannel[]) {}

  /** The channel whose configured long-lived token this is (issued tokens: LineTokenIssuer). */
  channelByToken(authorization: string | undefined): SandboxLineChannel | null {
    const m = /^Bearer (.+)$/.exec(authorization ?? '');
    return (m && this.channels.find((c) => c.channelAccessToken !== undefined && c.channelAccessToken === m[1])) || null;
  }

  /** By bot user id; none given means the first channel, unless `exact`. */
  channelByBot(botUserId: string | undefined, opts: { exact?: boolean } = {}): SandboxLineChannel | null {
    if (!botUserId) return opts.exact ? null : (this.channels[0] ?? null);
    return this.channels.find((c) => c.botUserId === botUserId) ?? null;
  }

  /**
   * Queues an outcome for the next send to `to`: a user id, a PNP hash, or an E.164 number
   * (hashed here, since PNP requests only ever carry the hash).
   */
  script(to: string, outcome: SandboxLineOutcome): void {
    const key = recipientKey(to);
    const queue = this.scripts.get(key) ?? [];
    queue.push(outcome);
    this.scripts.set(key, queue);
  }

  nextOutcome(to: string): SandboxLineOutcome {
    const queue = this.scripts.get(to);
    const outcome = queue?.shift() ?? 'accept';
    if (queue && queue.length === 0) this.scripts.delete(to);
    return outcome;
  }

  acceptedRetry(channel: SandboxLineChannel, retryKey: string | null): AcceptedRetry | null {
    return retryKey ? (this.accepted.get(`${channel.botUserId}/${retryKey.toLowerCase()}`) ?? null) : null;
  }

  /** Whether the channel's monthly quota allows one more message. */
  withinQuota(channel: SandboxLineChannel, quota: number | undefined): boolean {
    return quota === undefined || (this.sentPerChannel.get(channel.botUserId) ?? 0) < quota;
  }

  /** Delivers a message: records it, remembers the retry key, counts it against the quota. */
  deliver(record: Omit<SandboxLineMessageRecord, 'sentMessageIds' | 'at'>, count: number): SandboxLineMessageRecord {
    const sentMessageIds = Array.from({ length: count }, () => this.nextMessageId());
    const full: SandboxLineMessageRecord = { ...record, sentMessageIds, at: new Date().toISOString() };
    this.messages.push(full);
    if (record.retryKey) {
      this.accepted.set(`${record.botUserId}/${record.retryKey.toLowerCase()}`, { requestId: record.requestId, sentMessageIds });
    }
    this.sentPerChannel.set(record.botUserId, (this.sentPerChannel.get(record.botUserId) ?? 0) + 1);
    return full;
  }

  record(entry: Omit<SandboxLineRequestRecord, 'seq' | 'at'>): void {
    this.requests.push({ ...entry, seq: ++this.seq, at: new Date().toISOString() });
  }

  follow(botUserId: string, userId: string): { isUnblocked: boolean } {
    const users = this.followers.get(botUserId) ?? new Map();
    this.followers.set(botUserId, users);
    const before = users.get(userId);
    users.set(userId, { since: new Date().toISOString(), everBlocked: before?.everBlocked ?? false, following: true });
    return { isUnblocked: before?.everBlocked ?? false };
  }

  unfollow(botUserId: string, userId: string): void {
    const users = this.followers.get(botUserId) ?? new Map();
    this.followers.set(botUserId, users);
    users.set(userId, { since: new Date().toISOString(), everBlocked: true, following: false });
  }

  isFollower(botUserId: string, userId: string): boolean {
    return this.followers.get(botUserId)?.get(userId)?.following === true;
  }

  snapshot(
    webhooks: SandboxLineRecords['webhooks'],
    tokens: Pick<SandboxLineRecords, 'tokensIssued' | 'tokenRefusals' | 'tokenRequests'>,
  ): SandboxLineRecords {
    const messagesByRetryKey: Record<string, number> = {};
    for (const m of this.messages) {
      if (m.retryKey) messagesByRetryKey[m.retryKey] = (messagesByRetryKey[m.retryKey] ?? 0) + 1;
    }
    return {
      requests: structuredClone(this.requests),
      messages: structuredClone(this.messages),
      webhooks: structuredClone(webhooks),
      messagesByRetryKey,
      ...structuredClone(tokens),
    };
  }

  reset(): void {
    this.requests.length = 0;
    this.messages.length = 0;
    this.scripts.clear();
    this.accepted.clear();
    this.followers.clear();
    this.sentPerChannel.clear();
  }

  private nextMessageId(): string {
    // LINE message ids are decimal strings of about 18 digits.
    return `${Date.now()}${String(++this.messageSeq % 100000).padStart(5, '0')}`;
  }
}

/** E.164 numbers are hashed the way PNP requests carry them; anything else is used as is. */
export function recipientKey(to: string): string {
  return /^\+\d{6,15}$/.test(to) ? createHash('sha256').update(to).digest('hex') : to;
}
