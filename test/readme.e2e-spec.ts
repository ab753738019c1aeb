import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/crm-receiver';
import { addBodyCanary, addKeyCanary, addPhoneCanary, findCanaries } from './support/log-canaries';
import { createTestDatabase, createTestRedisPrefix, TestDatabase } from '@tsunagu/testing';

const ROOT = join(__dirname, '..');

/** The README's "API by example" block, run as written (on a free port and a database of its own). */
describe('README commands', () => {
  let db: TestDatabase;
  const redis = createTestRedisPrefix('readme');
  beforeAll(async () => {
    db = await createTestDatabase('readme');
  });
  afterAll(async () => {
    await redis.cleanup();
    await db.drop();
  });

  it('the API-by-example block builds, migrates, creates a tenant and key, starts, and then answers a message as documented', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const marker = readme.indexOf('<!-- readme-check');
    expect(marker).toBeGreaterThan(0);
    const block = readme.slice(readme.indexOf('```bash', marker) + 7, readme.indexOf('```', readme.indexOf('```bash', marker) + 7));
    const port = await freePort();
    // The key the block made (it never prints it: `$(…)` takes it), kept aside so the scan below knows it.
    const dir = mkdtempSync(join(tmpdir(), 'tsunagu-readme-'));
    const keyFile = join(dir, 'key');
    const [phone, text] = ['+819012345678', 'ご注文の商品を発送しました。'];
    const script = [
      'set -euo pipefail',
      block.replace(/localhost:3000/g, `localhost:${port}`),
      `printf '%s' "$KEY" > ${keyFile}`,
      `curl -s -o /tmp/readme-sender-${port}.json -w '%{http_code}\\n' localhost:${port}/v1/senders -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"address":"00051234","routes":[]}'`,
      `curl -s -w '\\n%{http_code}\\n' localhost:${port}/v1/messages -H "Authorization: Bearer $KEY" -H "Idempotency-Key: readme-1" -H 'Content-Type: application/json' -d '{"to":{"phone":"090-1234-5678"},"category":"transactional","text":"${text}"}'`,
      'kill %1; wait || true',
    ].join('\n');
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      // Its own process group: `npm start &` leaves node running under npm, and the whole group goes at the end.
      const child = spawn('bash', ['-c', script], {
        cwd: ROOT,
        detached: true,
        env: { ...process.env, DATABASE_URL: db.url, TSUNAGU_REDIS_PREFIX: redis.prefix, PORT: String(port), TSUNAGU_LOG_LEVEL: 'warn' },
      });
      let text = '';
      child.stdout.on('data', (c) => (text += c));
      child.stderr.on('data', (c) => (text += c));
      child.on('exit', (code) => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
        resolve({ code, text });
      });
    });
    expect(out.text).toMatch(/"status":"ok"/);
    expect(out.text).toMatch(/(^|\})201$/m); // the sender request was created
    // As the README says: with no channel configured the message is refused, clearly.
    expect(out.text).toMatch(/\{"code":"NO_REACHABLE_CHANNEL","message":"[^"]+"\}\n422/);
    // Everything the block's commands wrote (the CLI's, npm's, the engine's and curl's output) is
    // free of the key, the number and the text: none of them echoes what it was given.
    const key = readFileSync(keyFile, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    expect(key).toMatch(/^tsk_/);
    addKeyCanary(key);
    addPhoneCanary(phone);
    addBodyCanary(text);
    expect(findCanaries(out.text)).toEqual([]);
  }, 240_000);
});
