import { randomUUID } from 'node:crypto';
import { RbmWebhookPusher, SandboxTimers } from './rbm-webhook.pusher';
import {
  RbmScript,
  SandboxMessageRecord,
  SandboxMessageState,
  SandboxReply,
  SandboxRbmRecords,
} from './rbm-sandbox.types';

export interface RbmAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const FEATURES = ['RICHCARD_STANDALONE', 'RICHCARD_CAROUSEL', 'ACTION_DIAL', 'ACTION_OPEN_URL', 'ACTION_CREATE_CALENDAR_EVENT'];
const READ_AFTER_DELIVERED_MS = 30;

export function googleError(code: number, status: string, message: string): RbmAnswer {
  return { status: code, body: { error: { code, message, status } } };
}

interface LiveMessage {
  record: SandboxMessageRecord;
  timers: (NodeJS.Timeout | undefined)[];
}

/**
 * What RBM does with capability checks, creates and revokes, scripted per phone number, and the
 * events it pushes afterwards. The routes only translate HTTP to these calls.
 */
export class RbmSandboxState {
  private readonly scripts = new Map<string, RbmScript>();
  private readonly messages = new Map<string, LiveMessage>();
  private readonly revokeAnswers: { messageId: string; status: number }[] = [];
  private capabilityChecks = 0;
  private lastAgentByPhone = new Map<string, string>();

  constructor(
    private readonly pusher: RbmWebhookPusher,
    private readonly timers: SandboxTimers,
    private readonly defaultDeliveryMs: number,
    private readonly defaultAgentId: string,
  ) {}

  script(phone: string, script: RbmScript): void {
    this.scripts.set(phone, script);
  }

  scriptFor(phone: string): RbmScript {
    return this.scripts.get(phone) ?? { outcome: 'capable' };
  }

  capability(phone: string): RbmAnswer {
    this.capabilityChecks++;
    const script = this.scriptFor(phone);
    const trouble = this.serverTrouble(script);
    if (trouble) return trouble;
    if (script.outcome === 'not_capable') return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
    return { status: 200, body: { features: FEATURES } };
  }

  create(phone: string, agentId: string, messageId: string, body: Record<string, unknown>): RbmAnswer {
    const existing = this.messages.get(messageId);
    if (existing) existing.record.requestCount++;
    const script = this.scriptFor(phone);
    const trouble = this.serverTrouble(script);
    if (trouble) return trouble;
    if (existing) return googleError(409, 'ALREADY_EXISTS', 'Requested entity already exists');
    switch (script.outcome) {
      case 'not_capable':
        return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
      case '400':
        return googleError(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.');
      case '403':
        return googleError(403, 'PERMISSION_DENIED', 'The agent is not launched on the carrier of this phone.');
      default:
        break;
    }
    const record: SandboxMessageRecord = {
      messageId,
      phone,
      agentId,
      createCount: 1,
      requestCount: 1,
      state: 'pending',
      body,
      messageTrafficType: typeof body.messageTrafficType === 'string' ? body.messageTrafficType : undefined,
      ttl: typeof body.ttl === 'string' ? body.ttl : undefined,
      createdAt: new Date().toISOString(),
    };
    const live: LiveMessage = { record, timers: [] };
    this.messages.set(messageId, live);
    this.lastAgentByPhone.set(phone, agentId);
    this.schedule(live, script, body);
    if (script.outcome === '500_after_applying') return googleError(500, 'INTERNAL', 'Internal error encountered.');
    return {
      status: 200,
      body: {
        name: `phones/${phone}/agentMessages/${messageId}`,
        sendTime: record.createdAt,
        contentMessage: body.contentMessage,
      },
    };
  }

  revoke(phone: string, messageId: string): RbmAnswer {
    const answer = this.revokeAnswer(phone, messageId);
    this.revokeAnswers.push({ messageId, status: answer.status });
    return answer;
  }

  /**
   * Pushes a user message as if the person typed, tapped a suggestion, or shared something; or,
   * with `event`, the user event of unsubscribing (or subscribing again) in Google Messages, which
   * is about no message. Returns the messageId, or the eventId of an event.
   */
  reply(reply: SandboxReply): string {
    const agentId = reply.agentId ?? this.lastAgentByPhone.get(reply.phone) ?? this.defaultAgentId;
    if (reply.event) {
      const eventId = this.pusher.newEventId();
      const event = { senderPhoneNumber: reply.phone, eventType: reply.event, eventId, sendTime: new Date().toISOString(), agentId };
      this.pusher.push(event, { kind: 'event', eventType: reply.event, eventId });
      return eventId;
    }
    const messageId = `sandbox-mo-${randomUUID()}`;
    const data: Record<string, unknown> = {
      senderPhoneNumber: reply.phone,
      messageId,
      sendTime: new Date().toISOString(),
      agentId,
    };
    if (reply.suggestion) data.suggestionResponse = { ...reply.suggestion, type: 'REPLY' };
    else if (reply.location) data.location = reply.location;
    else if (reply.file) {
      data.userFile = {
        payload: { mimeType: reply.file.mimeType, fileName: reply.file.fileName ?? 'file', fileUri: `https://rbm.sandbox.invalid/files/${randomUUID()}`, fileSizeBytes: 1024 },
      };
    } else data.text = reply.text ?? '';
    this.pusher.push(data, { kind: 'user_message', messageId });
    return messageId;
  }

  records(): SandboxRbmRecords {
    return {
      tokensIssued: {},
      tokenRefusals: 0,
      tokenRequests: 0,
      unauthenticatedCalls: 0,
      capabilityChecks: this.capabilityChecks,
      messages: Object.fromEntries([...this.messages].map(([id, live]) => [id, { ...live.record }])),
      revokes: [...this.revokeAnswers],
      pushes: this.pusher.records.map((r) => ({ ...r })),
    };
  }

  reset(): void {
    this.timers.clearAll();
    this.pusher.reset();
    this.scripts.clear();
    this.messages.clear();
    this.revokeAnswers.length = 0;
    this.capabilityChecks = 0;
    this.lastAgentByPhone = new Map();
  }

  private revokeAnswer(phone: string, messageId: string): RbmAnswer {
    const trouble = this.serverTrouble(this.scriptFor(phone));
    if (trouble) return trouble;
    const live = this.messages.get(messageId);
    if (!live || live.record.phone !== phone) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
    // Too late: RBM answers 404 for a message already delivered (phones.agentMessages.delete).
    if (live.record.state === 'delivered' || live.record.state === 'read') {
      return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
    }
    if (live.record.state === 'pending') {
      // Withdrawn before delivery: its DELIVERED/READ/TTL events never happen.
      for (const t of live.timers) this.timers.clear(t);
      live.record.state = 'revoked';
    }
    return { status: 200, body: {} };
  }

  /** 429 and 500 model trouble in front of RBM: they hit every call for the phone. */
  private serverTrouble(script: RbmScript): RbmAnswer | null {
    if (script.outcome === '429') {
      const answer = googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric.');
      return { ...answer, headers: { 'retry-after': String(script.retryAfterSeconds ?? 2) } };
    }
    if (script.outcome === '500') return googleError(500, 'INTERNAL', 'Internal error encountered.');
    return null;
  }

  private schedule(live: LiveMessage, script: RbmScript, body: Record<string, unknown>): void {
    const afterMs = script.afterMs ?? this.defaultDeliveryMs;
    const copies = script.duplicateEvents ? 2 : 1;
    const ttlMs = ttlOf(body);
    const event = (eventType: string, state: SandboxMessageState): void => {
      live.record.state = state;
      this.pusher.push(
        this.eventData(live.record, eventType),
        { kind: 'event', eventType, messageId: live.record.messageId },
        copies,
      );
    };
    const deliverAt = script.outcome === 'never_delivered' ? undefined : afterMs;
    if (ttlMs !== undefined && (deliverAt === undefined || ttlMs < deliverAt)) {
      // The ttl runs out first: RBM revokes (or fails to) and the message is never delivered.
      live.timers.push(
        this.timers.set(() => {
          if (live.record.state !== 'pending') return;
          if (script.ttlRevokeFails) event('TTL_EXPIRATION_REVOKE_FAILED', 'expired_revoke_failed');
          else event('TTL_EXPIRATION_REVOKED', 'expired');
        }, ttlMs),
      );
      return;
    }
    if (deliverAt === undefined) return;
    live.timers.push(
      this.timers.set(() => {
        if (live.record.state !== 'pending') return;
        if (script.outcome === 'read' && script.readBeforeDelivered) {
          event('READ', 'read');
          event('DELIVERED', 'read');
          return;
        }
        event('DELIVERED', 'delivered');
        if (script.outcome === 'read') {
          live.timers.push(this.timers.set(() => event('READ', 'read'), READ_AFTER_DELIVERED_MS));
        }
      }, deliverAt),
    );
  }

  private eventData(record: SandboxMessageRecord, eventType: string): Record<string, unknown> {
    const common = { messageId: record.messageId, agentId: record.agentId, eventType, eventId: this.pusher.newEventId(), sendTime: new Date().toISOString() };
    // Server events name the recipient `phoneNumber`; user events `senderPhoneNumber`.
    return eventType.startsWith('TTL_')
      ? { phoneNumber: record.phone, ...common }
      : { senderPhoneNumber: record.phone, ...common };
  }
}

/** `ttl: "30s"` / `"1.5s"` or `expireTime` (RFC 3339) → milliseconds from now. */
export function ttlOf(body: Record<string, unknown>, now = Date.now()): number | undefined {
  if (typeof body.ttl === 'string') {
    const match = /^(\d+(?:\.\d{1,9})?)s$/.exec(body.ttl);
    if (match) return Math.round(Number(match[1]) * 1000);
  }
  if (typeof body.expireTime === 'string') {
    const at = Date.parse(body.expireTime);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}
