import { z } from 'zod';

/** Injection token of the validated RCS options. */
export const RCS_CHANNEL_OPTIONS = Symbol('RCS_CHANNEL_OPTIONS');

/** The OAuth scope every RBM call needs. */
export const RBM_SCOPE = 'https://www.googleapis.com/auth/rcsbusinessmessaging';
/** Google's token endpoint; the default when an agent names no `tokenUrl`. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export const RBM_REGIONS = ['asia', 'europe', 'us'] as const;
export type RbmRegion = (typeof RBM_REGIONS)[number];

const httpUrl = z
  .string()
  .url()
  .refine((v) => /^https?:\/\//i.test(v), 'must be an http(s) URL');

const AgentSchema = z.object({
  /** The RBM agentId, sent as the `agentId` query parameter of every call. */
  id: z.string().min(1),
  tenantId: z.string().min(1),
  region: z.enum(RBM_REGIONS),
  /** Overrides the regional API URL (the sandbox, a proxy). */
  baseUrl: httpUrl.optional(),
  /** Overrides Google's token endpoint (the sandbox). */
  tokenUrl: httpUrl.optional(),
  serviceAccount: z.object({
    clientEmail: z.string().min(1),
    /** PEM; a secret, never logged. */
    privateKey: z.string().min(1),
  }),
  /** The webhook client token (HMAC key of X-Goog-Signature); a secret. */
  clientToken: z.string().min(1),
  default: z.boolean().optional(),
});

export const RcsChannelOptionsSchema = z.object({
  agents: z.array(AgentSchema).min(1),
  capabilityTtlSeconds: z
    .object({
      positive: z.number().int().min(0),
      negative: z.number().int().min(0),
    })
    .default({ positive: 3600, negative: 86400 }),
  requestTimeoutMs: z.number().int().positive().default(5000),
  /** How many delivered message ids `cancel` remembers to answer `too_late` without a call. */
  deliveredCacheSize: z.number().int().positive().default(10000),
});

export type RcsAgentOptions = z.infer<typeof AgentSchema>;
export type RcsChannelOptions = z.input<typeof RcsChannelOptionsSchema>;
export type ResolvedRcsChannelOptions = z.output<typeof RcsChannelOptionsSchema>;

/**
 * Validates the options at boot. The message names the failing paths only, never the values,
 * because the options carry private keys and client tokens.
 */
export function resolveRcsOptions(options: RcsChannelOptions): ResolvedRcsChannelOptions {
  const parsed = RcsChannelOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`Invalid RCS channel options: ${where}`);
  }
  const ids = new Set<string>();
  for (const agent of parsed.data.agents) {
    if (ids.has(agent.id)) throw new Error(`Invalid RCS channel options: agent "${agent.id}" is listed twice`);
    ids.add(agent.id);
  }
  const defaults = new Map<string, number>();
  for (const agent of parsed.data.agents) {
    if (agent.default) defaults.set(agent.tenantId, (defaults.get(agent.tenantId) ?? 0) + 1);
  }
  for (const [tenant, count] of defaults) {
    if (count > 1) throw new Error(`Invalid RCS channel options: tenant "${tenant}" has ${count} default agents`);
  }
  return parsed.data;
}

export function regionalBaseUrl(region: RbmRegion): string {
  return `https://${region}-rcsbusinessmessaging.googleapis.com`;
}

export function agentBaseUrl(agent: RcsAgentOptions): string {
  return (agent.baseUrl ?? regionalBaseUrl(agent.region)).replace(/\/+$/, '');
}
