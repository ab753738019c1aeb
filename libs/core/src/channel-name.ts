/**
 * A channel is named by its adapter. The three built-in ones are listed for defaults, but the
 * policy and the engine accept any name the registry knows, so a new adapter needs no change here.
 */
export type ChannelName = string;

export const BUILTIN_CHANNELS = ['rcs', 'sms', 'line'] as const;

export const CATEGORIES = ['otp', 'transactional', 'marketing'] as const;
export type Category = (typeof CATEGORIES)[number];
