import { ChannelEvent } from '@tsunagu/core';

/**
 * Where adapters that receive traffic outside HTTP (SMPP deliver_sm on a bind) hand their
 * events. The engine provides it; adapters depend only on this token.
 */
export interface ChannelEventSink {
  ingest(events: ChannelEvent[]): Promise<void>;
}

export const CHANNEL_EVENT_SINK = Symbol('CHANNEL_EVENT_SINK');
