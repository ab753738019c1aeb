import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { envSchema, loadConfig } from '@tsunagu/config';
import { POSTGRES_MALLOC_ENV } from '../apps/demo/src/postgres-malloc';
import { ENGINE_NODE_FLAGS } from '../bench/soak/infra';

const ROOT = join(__dirname, '..');
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; environment?: Record<string, string>; ports?: string[]; volumes?: string[]; build?: string }>;
};
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The machines here have no Docker engine: the compose file is checked against the code instead. */
describe('docker-compose.yml and the configuration reference', () => {
  it('runs PostgreSQL 16, Redis 7 (append-only, no eviction), and the api, worker and sandbox from one image', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'redis', 'sandbox', 'setup', 'worker']);
    expect(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')).toContain('image: postgres:16');
    expect(compose.services.redis.command).toEqual(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
    for (const app of ['api', 'worker', 'sandbox', 'setup']) expect(compose.services[app].build).toBe('.');
  });

  it('starts each app with a compiled entry point that exists', () => {
    const entries: Record<string, string> = { api: 'apps/api/src/main', worker: 'apps/worker/src/main', sandbox: 'apps/sandbox/src/main' };
    for (const [service, entry] of Object.entries(entries)) {
      expect(compose.services[service].command).toEqual(['node', 'scripts/run.js', entry]);
      expect(() => readFileSync(join(ROOT, `${entry}.ts`))).not.toThrow();
    }
  });

  it('runs the engine with the Node flags the benches measure it with (image, npm start scripts)', () => {
    const flags = ENGINE_NODE_FLAGS.join(' ');
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain(`ENV NODE_OPTIONS=${flags}\n`);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'start:api', 'start:worker']) expect(`${name}: ${scripts[name]}`).toMatch(new RegExp(`^${name}: node ${flags} scripts/run\\.js `));
  });

  it('names only environment variables that the configuration reads and the README documents', () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const [service, def] of Object.entries(compose.services)) {
      for (const name of Object.keys(def.environment ?? {})) {
        if (['POSTGRES_HOST_AUTH_METHOD', 'POSTGRES_DB'].includes(name)) continue;
        if (service === 'postgres' && name in POSTGRES_MALLOC_ENV) continue; // the server's, checked below
        if (name.startsWith('SANDBOX_')) {
          expect(`${service}:${name}:${readme.includes(name)}`).toBe(`${service}:${name}:true`);
          continue;
        }
        expect(`${service}:${name}:${known.has(name)}`).toBe(`${service}:${name}:true`);
        expect(`${service}:${name} in README:${readme.includes(name)}`).toBe(`${service}:${name} in README:true`);
      }
    }
  });

  it('starts PostgreSQL with the malloc settings the demo and the benches give theirs, and the README names them', () => {
    const env = compose.services.postgres.environment ?? {};
    for (const [name, value] of Object.entries(POSTGRES_MALLOC_ENV)) {
      expect(`${name}=${env[name]}`).toBe(`${name}=${value}`);
      expect(readme).toContain(`${name}=${value}`);
    }
  });

  it('every setting of the configuration reference is in the README table', () => {
    for (const name of Object.keys(envSchema.shape)) expect(`${name}:${readme.includes(`\`${name}\``)}`).toBe(`${name}:true`);
  });

  it('publishes the api on PORT and the sandbox on the ports its configuration names', () => {
    expect(compose.services.api.ports).toEqual(['3000:3000']);
    expect(compose.services.api.environment?.PORT).toBe('3000');
    const sandboxEnv = compose.services.sandbox.environment!;
    expect(compose.services.sandbox.ports).toEqual([`${sandboxEnv.SANDBOX_SMSC_PORT}:2775`, `${sandboxEnv.SANDBOX_RBM_PORT}:8081`, `${sandboxEnv.SANDBOX_LINE_PORT}:8082`]);
    const yaml = readFileSync(join(ROOT, 'config/compose.tsunagu.yml'), 'utf8');
    expect(yaml).toContain(`port: ${sandboxEnv.SANDBOX_SMSC_PORT}`);
    expect(yaml).toContain(`http://sandbox:${sandboxEnv.SANDBOX_RBM_PORT}`);
    expect(yaml).toContain(`http://sandbox:${sandboxEnv.SANDBOX_LINE_PORT}`);
  });

  it('its engine configuration file loads and validates, secrets resolved from env and files', () => {
    const keyFile = join(ROOT, 'config/compose.tsunagu.yml'); // any readable file stands in for the key here
    const yamlText = readFileSync(keyFile, 'utf8').replace('/keys/rbm.pem', keyFile);
    const tmp = join(require('node:os').tmpdir(), `compose-config-${process.pid}.yml`);
    require('node:fs').writeFileSync(tmp, yamlText);
    const config = loadConfig({
      TSUNAGU_CONFIG: tmp,
      TSUNAGU_DATA_KEY: Buffer.alloc(32, 7).toString('base64'),
      SANDBOX_SMPP_PASSWORD: 'sandbox1',
      SANDBOX_RBM_CLIENT_TOKEN: 't',
      SANDBOX_LINE_SECRET: 's',
      SANDBOX_LINE_TOKEN: 't',
      SANDBOX_LINE_BOT_USER_ID: 'U0123456789abcdef0123456789abcdef',
    });
    expect(Object.keys(config.channels).sort()).toEqual(['line', 'rcs', 'sms']);
    expect(JSON.stringify(config.channels)).toContain('sandbox1');
    expect(() => loadConfig({ TSUNAGU_CONFIG: tmp, TSUNAGU_DATA_KEY: Buffer.alloc(32, 7).toString('base64') })).toThrow(/SANDBOX_RBM_CLIENT_TOKEN/);
  });
});
