import { Category } from '@tsunagu/core';

/** The longest `metadata.reference` a message may carry, and a list may be asked for. */
export const REFERENCE_MAX_LENGTH = 200;

/** A notification as the CRM posts it (already shape-checked by the API layer). */
export interface MessageRequest {
  to: { phone: string; lineUserId?: string };
  category: Category;
  text: string;
  rcs?: Record<string, unknown>;
  line?: Record<string, unknown>[];
  channels?: string[];
  timeouts?: Record<string, number>;
  successOn?: 'delivered' | 'read';
  sendAt?: string;
  expiresAt?: string;
  sender?: string;
  callbackUrl?: string;
  metadata?: Record<string, unknown>;
}

export interface AcceptResult {
  status: number;
  body: { id: string; status: string };
  replayed: boolean;
}
