import { loadConfig } from './load-config';

describe('TSUNAGU_DB_POOL_MAX', () => {
  const base = { TSUNAGU_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tsunagu', TSUNAGU_REDIS_URL: 'redis://127.0.0.1:6379', TSUNAGU_DATA_KEY: Buffer.alloc(32, 7).toString('base64') };

  it('is 20 connections per process unless set', () => {
    expect(loadConfig({ ...base }).database.poolMax).toBe(20);
    expect(loadConfig({ ...base, TSUNAGU_DB_POOL_MAX: '8' }).database.poolMax).toBe(8);
  });

  it.each(['1', '0', 'many', '201'])('refuses %s, naming the setting', (value) => {
    expect(() => loadConfig({ ...base, TSUNAGU_DB_POOL_MAX: value })).toThrow(/TSUNAGU_DB_POOL_MAX/);
  });
});
