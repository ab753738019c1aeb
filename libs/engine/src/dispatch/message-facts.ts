import { ChannelTraits } from '@tsunagu/channels';
import { AttemptEntity, ContactEntity, MessageEntity } from '@tsunagu/database';
import { CapabilityFacts, MessageFacts } from '@tsunagu/policy';

/** Builds the policy's input from rows; only fresh cached capability answers count. */
export function buildFacts(
  message: MessageEntity,
  attempts: AttemptEntity[],
  contact: ContactEntity,
  traits: Record<string, ChannelTraits>,
  quietHours: MessageFacts['quietHours'],
  now: Date,
  overrides: Record<string, CapabilityFacts>,
): MessageFacts {
  const capabilities: Record<string, CapabilityFacts | undefined> = {};
  for (const channel of message.plan!.channels) {
    if (overrides[channel]) {
      capabilities[channel] = overrides[channel];
      continue;
    }
    const cached = contact.capabilities[channel];
    if (cached && new Date(cached.expiresAt) > now) {
      capabilities[channel] = { reachable: cached.reachable, reason: cached.reason, checkedAt: new Date(cached.checkedAt) };
    }
  }
  return {
    status: message.status as MessageFacts['status'],
    category: message.category!,
    plan: message.plan!,
    sendAt: message.sendAt,
    expiresAt: message.expiresAt,
    cancelRequested: message.cancelRequested,
    attempts: attempts.map((a) => ({
      seq: a.seq,
      channel: a.channel,
      status: a.status,
      deadlineAt: a.deadlineAt,
      awaitsDelivery: a.awaitsDelivery,
    })),
    capabilities,
    optOuts: contact.optOuts,
    traits,
    quietHours,
  };
}
