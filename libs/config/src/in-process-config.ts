import { randomBytes } from 'node:crypto';
import { loadConfig } from './load-config';
import { TsunaguConfig } from './tsunagu-config';

type Overrides = Omit<Partial<TsunaguConfig>, 'http' | 'callbacks' | 'worker'> & {
  http?: Partial<TsunaguConfig['http']>;
  callbacks?: Partial<TsunaguConfig['callbacks']>;
  worker?: Partial<TsunaguConfig['worker']>;
};

/**
 * The config for tools that run the engine inside their own process (the demo, benchmarks,
 * tests): the same defaults as a deployment read from an empty environment, a fresh data key,
 * then the caller's changes. One place for defaults, however the engine is started.
 */
export function inProcessConfig(overrides: Overrides = {}): TsunaguConfig {
  const base = loadConfig({ TSUNAGU_DATA_KEY: randomBytes(32).toString('base64') });
  return {
    ...base,
    ...overrides,
    http: { ...base.http, ...overrides.http },
    callbacks: { ...base.callbacks, ...overrides.callbacks },
    worker: { ...base.worker, ...overrides.worker },
  };
}
