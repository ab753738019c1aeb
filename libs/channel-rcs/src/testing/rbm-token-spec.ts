import { Logger, LoggerService } from '@nestjs/common';
import type { RcsAdapter } from '../rcs.adapter';
import { AGENT_ID, RbmTestEnv, startRbmTestEnv } from './rbm-test-env';

/**
 * A token spec file's sandbox RBM (`spec.env`, from `beforeAll`), with the Nest log captured
 * (`spec.logged`, warnings marked `["warn", …]`, to scan for tokens and keys) and every adapter
 * made by `adapterWith` shut down after the file.
 */
export function rbmTokenSpec() {
  const spec = { env: undefined as unknown as RbmTestEnv, logged: [] as string[] };
  const adapters: RcsAdapter[] = [];
  const capture: LoggerService = {
    log: (...args: unknown[]) => void spec.logged.push(JSON.stringify(args)),
    warn: (...args: unknown[]) => void spec.logged.push(JSON.stringify(['warn', ...args])),
    error: (...args: unknown[]) => void spec.logged.push(JSON.stringify(args)),
  };
  beforeAll(async () => {
    Logger.overrideLogger(capture);
    spec.env = await startRbmTestEnv();
  });
  afterAll(async () => {
    for (const adapter of adapters) adapter.onApplicationShutdown();
    await spec.env?.close();
    Logger.overrideLogger(new Logger());
  });
  /** An adapter with one agent (the main service account unless told), closed after the file. */
  const adapterWith = (over: Parameters<RbmTestEnv['agent']>[0] = {}, extra: Parameters<RbmTestEnv['makeAdapter']>[1] = {}) => {
    const adapter = spec.env.makeAdapter([spec.env.agent(over)], extra);
    adapters.push(adapter);
    return adapter;
  };
  const agentHealth = async (adapter: RcsAdapter) => ((await adapter.health()).detail.agents as Record<string, Record<string, unknown>>)[AGENT_ID];
  const records = () => spec.env.sandbox.control.records();
  return { spec, adapterWith, agentHealth, records };
}
