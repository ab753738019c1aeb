/**
 * Queue and job names. Payloads carry ids only — never a phone number or a body in Redis.
 * Job ids are deterministic and use `-` (BullMQ reserves `:`), so a re-created job dedupes
 * against one still waiting; PostgreSQL remains the source of truth either way.
 */
export const QUEUES = {
  /** Run the policy one step for a message: start, fall back, finish. */
  advance: 'advance',
  /** Hand one attempt to its channel adapter. One queue per channel so a slow one never blocks another. */
  send: (channel: string) => `send-${channel}`,
  /** Deliver one signed status callback to the CRM. */
  callback: 'callback',
} as const;

export interface AdvanceJob {
  messageId: string;
}

export interface SendJob {
  attemptId: string;
}

export interface CallbackJob {
  callbackId: string;
}

export const jobIds = {
  // The due time in base 36: a pending timer's id is stored three times in Redis.
  advance: (messageId: string, dueAt: Date | null) => `advance-${messageId}-${dueAt ? dueAt.getTime().toString(36) : 'now'}`,
  /** "Look again now": unique, because a job id still held by a running job would swallow the wake-up. */
  wake: (messageId: string, nonce: string) => `advance-${messageId}-wake-${nonce}`,
  send: (attemptId: string) => `send-${attemptId}`,
  callback: (callbackId: string, tries: number) => `callback-${callbackId}-${tries}`,
};

/** A wake-up follows a report or a send: the message is mid-flight, not new and not timed out. */
export function isWakeJob(jobId: string | undefined): boolean {
  return !!jobId && jobId.includes('-wake-');
}
