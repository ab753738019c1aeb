import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SandboxLineChannel, SandboxLineTokenRequestRecord } from './sandbox-line.types';

/*
 * LINE's stateless channel access token endpoint (`POST /oauth2/v3/token`, channel-access-token.yml),
 * by client secret: `grant_type=client_credentials&client_id=<channel id>&client_secret=<channel
 * secret>` answers `{access_token, expires_in, token_type: "Bearer"}`. Refusals are 400 with
 * LINE's `{error, error_description}`; LINE documents the codes, not their wording. The JWT
 * assertion form is LINE's too, but Tsunagu does not use it, so the stand-in refuses it.
 */

export interface StatelessTokenGrant {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

export class LineTokenRefusal extends Error {
  readonly status = 400;
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type',
    description: string,
  ) {
    super(description);
  }
}

export class LineTokenIssuer {
  private readonly live = new Map<string, { botUserId: string; expiresAt: number }>();
  readonly issued: Record<string, number> = {};
  readonly requests: SandboxLineTokenRequestRecord[] = [];
  refusals = 0;
  /**
   * Every token handed out, kept through `reset()` and `expire()`: one may still sit in a client's
   * log, and the e2e log scan reads this list to look for it. In memory only, never on a control
   * route. Bounded: a sandbox left running keeps the newest ones only.
   */
  private readonly handedOut: string[] = [];

  constructor(
    private readonly channels: readonly SandboxLineChannel[],
    private readonly ttlSeconds = 900,
    private readonly keepHandedOut = 10_000,
  ) {}

  /** One token request; `form` is null when the body was not `application/x-www-form-urlencoded`. */
  issue(form: Record<string, string> | null, now = Date.now()): StatelessTokenGrant {
    try {
      if (!form) throw new LineTokenRefusal('invalid_request', 'the body must be application/x-www-form-urlencoded');
      if (!form.grant_type) throw new LineTokenRefusal('invalid_request', 'grant_type is required');
      if (form.grant_type !== 'client_credentials') throw new LineTokenRefusal('unsupported_grant_type', 'grant_type must be client_credentials');
      if (form.client_assertion !== undefined || form.client_assertion_type !== undefined) {
        throw new LineTokenRefusal('invalid_request', 'the sandbox issues stateless tokens by client secret only');
      }
      if (!form.client_id || !form.client_secret) throw new LineTokenRefusal('invalid_request', 'client_id and client_secret are required');
      const channel = this.channels.find((c) => c.channelId !== undefined && c.channelId === form.client_id);
      if (!channel || !sameSecret(channel.channelSecret, form.client_secret)) {
        throw new LineTokenRefusal('invalid_client', 'invalid client_id or client_secret');
      }
      const token = randomBytes(32).toString('base64url');
      this.live.set(token, { botUserId: channel.botUserId, expiresAt: now + this.ttlSeconds * 1000 });
      this.issued[form.client_id] = (this.issued[form.client_id] ?? 0) + 1;
      this.handedOut.push(token);
      if (this.handedOut.length > this.keepHandedOut) this.handedOut.shift();
      // Expired tokens answer 401 either way; forgetting them keeps a long-running sandbox's memory flat.
      for (const [old, entry] of this.live) if (entry.expiresAt <= now) this.live.delete(old);
      return { access_token: token, expires_in: this.ttlSeconds, token_type: 'Bearer' };
    } catch (err) {
      this.refusals++;
      throw err;
    }
  }

  /** The bot user id of the channel an unexpired issued token belongs to, or null. */
  check(authorization: string | undefined, now = Date.now()): string | null {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    const entry = match ? this.live.get(match[1]) : undefined;
    return entry && entry.expiresAt > now ? entry.botUserId : null;
  }

  /** Issued tokens (of one channel, or all) expire now; how many did. Clients must issue new ones. */
  expire(botUserId?: string): number {
    let count = 0;
    for (const [token, entry] of this.live) {
      if (botUserId && entry.botUserId !== botUserId) continue;
      this.live.delete(token);
      count++;
    }
    return count;
  }

  record(entry: SandboxLineTokenRequestRecord): void {
    this.requests.push(entry);
  }

  /** Every access token handed out, oldest first, resets included (a copy). */
  issuedTokens(): readonly string[] {
    return [...this.handedOut];
  }

  /** Forgets live tokens, counters and records; `issuedTokens()` keeps them. */
  reset(): void {
    this.live.clear();
    for (const key of Object.keys(this.issued)) delete this.issued[key];
    this.requests.length = 0;
    this.refusals = 0;
  }
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The form as the records keep it: secrets replaced, so the records may be served over HTTP. */
export function recordedForm(form: Record<string, string> | null): Record<string, string> | null {
  if (!form) return null;
  const copy = { ...form };
  for (const key of ['client_secret', 'client_assertion']) if (key in copy) copy[key] = '[redacted]';
  return copy;
}
