import { Server } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { TsunaguConfig } from '@tsunagu/config';
import { TenantAdminService } from '@tsunagu/engine';
import { SessionService } from '../../apps/console/src/sessions/session.service';
import { StaffService } from '../../apps/console/src/staff/staff.service';
import { CanaryKind, addKeyCanary, addSecretCanary, allowBotUserId } from './log-canaries';

/**
 * Where the secrets the log scan looks for come from: the engine's configuration, and the
 * services through which tests (and the console, driven over HTTP) make keys, callback secrets,
 * passwords and sessions. The taps call straight through; they only note what went by.
 */

/** Provider credential fields by name, wherever they sit in `config.channels`. */
const CHANNEL_SECRETS: Record<string, CanaryKind> = {
  channelSecret: 'line-channel-secret',
  channelAccessToken: 'line-access-token',
  privateKey: 'rbm-private-key',
  clientToken: 'rbm-client-token',
  password: 'smpp-password',
};
/** A credential field this table does not know yet is still a secret (`tokenUrl` is not: it ends in Url). */
const SECRET_NAME = /(?:secret|token|password|passwd|privatekey|credentials?)$/i;

function addChannelCanaries(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(addChannelCanaries);
  if (!node || typeof node !== 'object') return;
  for (const [name, value] of Object.entries(node)) {
    if (name === 'botUserId') allowBotUserId(value);
    const kind = CHANNEL_SECRETS[name] ?? (SECRET_NAME.test(name) ? 'channel-secret' : undefined);
    if (!kind || typeof value !== 'string') {
      addChannelCanaries(value);
    } else if (value.includes('-----BEGIN')) {
      // A PEM logged as a JSON string keeps its lines only as `\n`-joined runs: each base64 line is a canary.
      for (const line of value.split('\n')) if (!line.startsWith('-----')) addSecretCanary(kind, line.trim());
    } else {
      addSecretCanary(kind, value);
    }
  }
}

/** The engine's own secrets: the data key (as configured and as hex), the operations and operator tokens, provider credentials. */
export function addConfigCanaries(config: TsunaguConfig): void {
  addSecretCanary('data-key', config.dataKey);
  addSecretCanary('data-key', Buffer.from(config.dataKey, 'base64').toString('hex'));
  addSecretCanary('data-key', Buffer.from(config.dataKey, 'base64').toString('base64url'));
  addSecretCanary('ops-token', config.http.opsToken);
  addSecretCanary('operator-token', config.http.operatorToken);
  addChannelCanaries(config.channels);
}

/** Replaces `target[name]` on this instance with a call-through that shows `seen` the arguments and the result. */
function tap<T extends object>(target: T, name: keyof T & string, seen: (args: unknown[], result?: unknown) => void): void {
  const original = target[name] as unknown as (...args: unknown[]) => Promise<unknown>;
  Object.defineProperty(target, name, {
    configurable: true,
    writable: true,
    value: async function tapped(this: unknown, ...args: unknown[]) {
      seen(args);
      const result = await original.apply(this, args);
      seen(args, result);
      return result;
    },
  });
}

const field = (result: unknown, key: string): unknown => (result && typeof result === 'object' ? (result as Record<string, unknown>)[key] : undefined);

/**
 * Taps the api app's singletons, so keys and secrets a test makes with `h.admin`, staff passwords
 * set through `h.api.get(StaffService)` or typed into the console, and console sessions all
 * become canaries without the tests saying so.
 */
export function tapEngineSecrets(api: INestApplication): void {
  const admin = api.get(TenantAdminService);
  tap(admin, 'createTenant', (_, r) => addSecretCanary('callback-secret', field(r, 'callbackSecret')));
  tap(admin, 'rotateCallbackSecret', (_, r) => addSecretCanary('callback-secret', field(r, 'callbackSecret')));
  tap(admin, 'createApiKey', (_, r) => {
    const token = field(r, 'token');
    if (typeof token === 'string') addKeyCanary(token);
  });

  const staff = api.get(StaffService, { strict: false });
  tap(staff, 'create', ([, , , given], r) => [given, field(r, 'password')].forEach((p) => addSecretCanary('staff-password', p)));
  tap(staff, 'signIn', ([, , password]) => addSecretCanary('staff-password', password));
  tap(staff, 'changePassword', ([, , current, next, repeated]) => [current, next, repeated].forEach((p) => addSecretCanary('staff-password', p)));
  tap(staff, 'resetPassword', (_, r) => addSecretCanary('staff-password', field(r, 'password')));

  const sessions = api.get(SessionService, { strict: false });
  tap(sessions, 'create', (_, r) => {
    addSecretCanary('console-session', field(r, 'token'));
    addSecretCanary('csrf-token', field(r, 'csrfToken'));
  });

  // Every cookie the api sets (the session, the sign-in form's CSRF token), seen as it leaves.
  (api.getHttpServer() as Server).prependListener('request', (_req, res) => {
    const setHeader = res.setHeader;
    res.setHeader = function (name, value) {
      if (name.toLowerCase() === 'set-cookie') {
        for (const cookie of [value].flat().map(String)) {
          const pair = cookie.split(';')[0];
          const cookieName = pair.slice(0, pair.indexOf('='));
          addSecretCanary(/csrf/i.test(cookieName) ? 'csrf-token' : 'console-session', pair.slice(pair.indexOf('=') + 1));
        }
      }
      return setHeader.call(this, name, value);
    };
  });
}
