import { loadConfig } from './load-config';

describe('TSUNAGU_OPS_TOKEN', () => {
  const base = { TSUNAGU_DATA_KEY: Buffer.alloc(32, 7).toString('base64') };

  it('is unset (the operators\' endpoints closed) when absent or empty, as compose passes it', () => {
    expect(loadConfig({ ...base }).http.opsToken).toBeUndefined();
    expect(loadConfig({ ...base, TSUNAGU_OPS_TOKEN: '' }).http.opsToken).toBeUndefined();
  });

  it('is taken as given when long enough, and refused at start-up when short, without printing it', () => {
    const token = 'k'.repeat(24);
    expect(loadConfig({ ...base, TSUNAGU_OPS_TOKEN: token }).http.opsToken).toBe(token);
    const short = 'short-secret-123';
    const refusal = (() => {
      try {
        loadConfig({ ...base, TSUNAGU_OPS_TOKEN: short });
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(refusal).toMatch(/TSUNAGU_OPS_TOKEN.*24 characters/s);
    expect(refusal).not.toContain(short);
  });
});
