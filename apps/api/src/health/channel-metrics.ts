import type { ChannelHealthService } from '@tsunagu/engine';

type AllHealth = Awaited<ReturnType<ChannelHealthService['all']>>;

/**
 * SMPP binds per route and state, summed over the workers' health reports (each worker holds its
 * own binds). Read from the SMS adapter's report shape, `routes.<route>.binds[].state`; a report
 * of another shape adds nothing.
 */
export function smppBindCounts(all: AllHealth): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  const reports = (all.sms?.detail?.workers ?? {}) as Record<string, { detail?: { routes?: Record<string, { binds?: { state?: unknown }[] }> } }>;
  for (const report of Object.values(reports)) {
    for (const [route, r] of Object.entries(report?.detail?.routes ?? {})) {
      const byState = counts.get(route) ?? new Map<string, number>();
      for (const bind of Array.isArray(r?.binds) ? r.binds : []) {
        const state = typeof bind?.state === 'string' ? bind.state : 'unknown';
        byState.set(state, (byState.get(state) ?? 0) + 1);
      }
      counts.set(route, byState);
    }
  }
  return counts;
}
