import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';

/** Past this, a new password is taken unchecked: the console must not wait on a third party. */
export const PWNED_TIMEOUT_MS = 2000;

/**
 * A password's k-anonymity query: the first five hex digits of its SHA-1 (uppercase) are all that
 * is sent; the other 35 are looked for in the answer here.
 */
export function rangeQuery(password: string): { prefix: string; suffix: string } {
  const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  return { prefix: sha1.slice(0, 5), suffix: sha1.slice(5) };
}

/**
 * Whether a range answer (`SUFFIX:COUNT` per line) lists the suffix. Lines counted 0 are the
 * padding `Add-Padding: true` asks for (so the answer's size tells an onlooker nothing): not breaches.
 */
export function rangeLists(body: string, suffix: string): boolean {
  for (const line of body.split('\n')) {
    const [found, count] = line.trim().split(':');
    if (found?.toUpperCase() === suffix && Number(count) > 0) return true;
  }
  return false;
}

/**
 * Have I Been Pwned's Pwned Passwords (TSUNAGU_PWNED_PASSWORDS_URL): is a new password among those
 * known from breaches? When the service cannot answer within two seconds, the password is taken
 * and a warning logged (never the password, its hash or its range): an outage elsewhere must not
 * stop staff from setting a password, and the other rules still hold.
 */
@Injectable()
export class PwnedPasswords {
  private readonly log = new Logger('console');
  private readonly baseUrl: string | null;

  constructor(@Inject(TSUNAGU_CONFIG) config: TsunaguConfig) {
    this.baseUrl = config.console.pwnedPasswordsUrl;
  }

  async isBreached(password: string): Promise<boolean> {
    if (this.baseUrl === null) return false;
    const { prefix, suffix } = rangeQuery(password);
    try {
      const res = await fetch(`${this.baseUrl}/range/${prefix}`, {
        headers: { 'add-padding': 'true', 'user-agent': 'tsunagu-console' },
        redirect: 'error',
        signal: AbortSignal.timeout(PWNED_TIMEOUT_MS),
      });
      if (!res.ok) {
        await res.body?.cancel();
        this.unavailable(`status ${res.status}`);
        return false;
      }
      return rangeLists(await res.text(), suffix);
    } catch (err) {
      // By name: the abort's DOMException need not be an `Error` of this realm.
      const name = (err as { name?: unknown } | null)?.name;
      this.unavailable(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'unreachable');
      return false;
    }
  }

  private unavailable(reason: string): void {
    this.log.warn({ reason }, 'breached-password check unavailable: the new password was taken unchecked');
  }
}
