/**
 * Queue and job names. Running the policy for a message is not a queue: its row is its timer
 * (messages.due_at, claimed by the engine's DueDispatcher). Payloads carry ids only — never a phone number or a body in Redis.
 * Job ids are deterministic and use `-` (BullMQ reserves `:`), so a re-created job dedupes
 * against one still waiting; PostgreSQL remains the source of truth either way.
 */
export const QUEUES = {
  /** Hand one attempt to its channel adapter. One queue per channel so a slow one never blocks another. */
  send: (channel: string) => `send-${channel}`,
  /** Deliver one signed status callback to the CRM. */
  callback: 'callback',
} as const;

export interface SendJob {
  attemptId: string;
}

export interface CallbackJob {
  callbackId: string;
  /**
   * The tries the callback had made when this job was queued: the job is for the next one. A
   * callback can have two jobs for one try (its delayed retry and one brought forward when the
   * tenant set its URL); the second to run finds the try made and does nothing. Absent on jobs
   * queued before this was added: those run whatever the count.
   */
  tries?: number;
}

export const jobIds = {
  send: (attemptId: string) => `send-${attemptId}`,
  callback: (callbackId: string, tries: number) => `callback-${callbackId}-${tries}`,
  /** The same try, brought forward (`TenantAdminService.setCallbackUrl`): an id of its own, as the delayed job keeps its. */
  callbackSooner: (callbackId: string, tries: number) => `callback-${callbackId}-${tries}-sooner`,
};
