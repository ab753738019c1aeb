import { Category, ChannelName, DomainError } from '@tsunagu/core';

/** The traits the policy reads; the adapter's static facts, without importing adapters. */
export interface PolicyTraits {
  simBound: boolean;
  supportsCancel: boolean;
  supportsReadReceipts: boolean;
}

export interface PolicySettings {
  timeouts: Record<string, number>;
  successOn: 'delivered' | 'read';
  order: Record<Category, string[]>;
  quietHours: { start: string; end: string; timezone: string };
  allowInternational: boolean;
  maxScheduleDays: number;
}

export interface PlanRequest {
  category: Category;
  /** The request's own order, overriding the policy's default for its category. */
  channels?: ChannelName[];
  /** Seconds per channel before falling back, overriding the policy. */
  timeouts?: Record<string, number>;
  successOn?: 'delivered' | 'read';
}

export interface ChannelPlan {
  channels: ChannelName[];
  timeouts: Record<ChannelName, number>;
  successOn: 'delivered' | 'read';
}

const FALLBACK_TIMEOUT_SECONDS = 60;

/**
 * Decides the channel order for one message, or refuses it. Pure: the registry's traits come in
 * as data. OTP goes only by SIM-bound channels; a request naming another is refused, never
 * silently trimmed, so the CRM learns its policy is wrong.
 */
export function planChannels(
  request: PlanRequest,
  settings: PolicySettings,
  traits: Record<ChannelName, PolicyTraits>,
): ChannelPlan {
  const explicit = request.channels !== undefined;
  const channels = explicit ? request.channels! : settings.order[request.category];

  if (channels.length === 0) {
    throw new DomainError('INVALID_CHANNEL_POLICY', 'The channel list is empty: name at least one channel.');
  }
  const seen = new Set<string>();
  for (const channel of channels) {
    if (seen.has(channel)) {
      throw new DomainError('INVALID_CHANNEL_POLICY', `Channel "${channel}" is listed twice.`, { channel });
    }
    seen.add(channel);
  }
  // Own keys only: `traits` is a plain object, so `traits.constructor` exists without being a channel.
  const isKnown = (c: string) => Object.hasOwn(traits, c);
  const known = explicit ? channels : channels.filter(isKnown);
  const unknown = channels.filter((c) => !isKnown(c));
  if (explicit && unknown.length > 0) {
    throw new DomainError('UNKNOWN_CHANNEL', `Unknown channel: ${unknown.join(', ')}.`, {
      unknown,
      known: Object.keys(traits),
    });
  }
  if (request.category === 'otp') {
    const notSimBound = known.filter((c) => !traits[c].simBound);
    if (notSimBound.length > 0) {
      throw new DomainError(
        'CHANNEL_NOT_ALLOWED_FOR_OTP',
        `One-time passwords go only by SIM-bound channels; ${notSimBound.join(', ')} cannot carry them.`,
        { channels: notSimBound },
      );
    }
  }
  if (known.length === 0) {
    throw new DomainError('NO_REACHABLE_CHANNEL', `No channel of the ${request.category} policy is enabled.`);
  }
  if (request.timeouts) {
    for (const [channel, seconds] of Object.entries(request.timeouts)) {
      if (!seen.has(channel)) {
        throw new DomainError('INVALID_CHANNEL_POLICY', `A timeout is given for "${channel}", which is not in the channel list.`, { channel });
      }
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 7 * 86400) {
        throw new DomainError('INVALID_CHANNEL_POLICY', `The timeout for "${channel}" must be 1 to 604800 seconds.`, { channel });
      }
    }
  }
  const timeouts: Record<string, number> = {};
  for (const channel of known) {
    timeouts[channel] = request.timeouts?.[channel] ?? settings.timeouts[channel] ?? FALLBACK_TIMEOUT_SECONDS;
  }
  return { channels: known, timeouts, successOn: request.successOn ?? settings.successOn };
}
