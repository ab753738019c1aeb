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

describe('TSUNAGU_OPERATOR_TOKEN', () => {
  const base = { TSUNAGU_DATA_KEY: Buffer.alloc(32, 7).toString('base64') };
  const refusal = (env: Record<string, string>): string | null => {
    try {
      loadConfig({ ...base, ...env });
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('is unset (the operators\' decisions closed) when absent or empty, and taken when long enough', () => {
    expect(loadConfig({ ...base }).http.operatorToken).toBeUndefined();
    expect(loadConfig({ ...base, TSUNAGU_OPERATOR_TOKEN: '' }).http.operatorToken).toBeUndefined();
    const token = 'o'.repeat(24);
    expect(loadConfig({ ...base, TSUNAGU_OPS_TOKEN: 'k'.repeat(24), TSUNAGU_OPERATOR_TOKEN: token }).http.operatorToken).toBe(token);
    expect(refusal({ TSUNAGU_OPERATOR_TOKEN: 'short-secret-123' })).toMatch(/TSUNAGU_OPERATOR_TOKEN.*24 characters/s);
  });

  it('is refused when it is the operations token, which monitoring reads /metrics with, naming neither value', () => {
    const shared = 's'.repeat(32);
    const message = refusal({ TSUNAGU_OPS_TOKEN: shared, TSUNAGU_OPERATOR_TOKEN: shared });
    expect(message).toMatch(/TSUNAGU_OPERATOR_TOKEN must differ from TSUNAGU_OPS_TOKEN/);
    expect(message).not.toContain(shared);
  });
});
