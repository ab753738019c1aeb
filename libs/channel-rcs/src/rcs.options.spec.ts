import { DeliveredIdsCache } from './delivered-ids.cache';
import { agentBaseUrl, RcsAgentOptions, resolveRcsOptions } from './rcs.options';

const agent = (overrides: Partial<RcsAgentOptions> = {}): RcsAgentOptions => ({
  id: 'agent-1',
  tenantId: 't1',
  region: 'asia',
  serviceAccount: { clientEmail: 'sa@example.iam.gserviceaccount.com', privateKey: '-----BEGIN PRIVATE KEY-----secret' },
  clientToken: 'client-token-secret',
  ...overrides,
});

describe('resolveRcsOptions', () => {
  it('fills the defaults', () => {
    expect(resolveRcsOptions({ agents: [agent()] })).toMatchObject({
      capabilityTtlSeconds: { positive: 3600, negative: 86400 },
      requestTimeoutMs: 5000,
    });
  });

  it('names the failing path, never the secret values', () => {
    let message = '';
    try {
      resolveRcsOptions({ agents: [agent({ region: 'mars' as never, clientToken: '' })] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/agents\.0\.region/);
    expect(message).toMatch(/agents\.0\.clientToken/);
    expect(message).not.toMatch(/secret|PRIVATE KEY/);
  });

  it('refuses duplicate agent ids and two defaults for one tenant', () => {
    expect(() => resolveRcsOptions({ agents: [agent(), agent()] })).toThrow(/listed twice/);
    expect(() => resolveRcsOptions({ agents: [agent({ default: true }), agent({ id: 'agent-2', default: true })] })).toThrow(
      /2 default agents/,
    );
  });

  it('uses the regional URL unless the agent overrides it', () => {
    expect(agentBaseUrl(agent({ region: 'europe' }))).toBe('https://europe-rcsbusinessmessaging.googleapis.com');
    expect(agentBaseUrl(agent({ baseUrl: 'http://127.0.0.1:9/' }))).toBe('http://127.0.0.1:9');
  });
});

describe('DeliveredIdsCache', () => {
  it('remembers the most recent ids up to its capacity', () => {
    const cache = new DeliveredIdsCache(2);
    cache.add('a');
    cache.add('b');
    cache.add('a'); // refreshed: b is now the oldest
    cache.add('c');
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    expect(cache.size).toBe(2);
  });
});
