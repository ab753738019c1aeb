/**
 * Adapters report health as free-form detail (SMPP binds per route, RBM agents, LINE channels),
 * for every tenant the worker serves. The console shows one tenant's staff only what is theirs, as
 * facts a person can read rather than JSON.
 */

export type FactValue = string | number | boolean | null;
export type Fact = [path: string, value: FactValue];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Owned by another tenant: an entry that names its tenant, and not this one. */
const foreign = (v: unknown, tenantId: string): boolean => isRecord(v) && typeof v.tenantId === 'string' && v.tenantId !== tenantId;

/**
 * The detail with every entry owned by another tenant removed (an RBM agent, a LINE channel: each
 * names its `tenantId`), and the `tenantId` fields themselves (the viewer's own). Shared
 * infrastructure, which names no tenant (an SMPP route's binds), stays.
 */
export function ownOnly(value: unknown, tenantId: string): unknown {
  if (Array.isArray(value)) return value.filter((v) => !foreign(v, tenantId)).map((v) => ownOnly(v, tenantId));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => k !== 'tenantId' && !foreign(v, tenantId))
      .map(([k, v]) => [k, ownOnly(v, tenantId)]),
  );
}

/**
 * Flattens detail into (path, value) facts: `routes › jp-direct › binds › jp-direct#0 › state`
 * = `bound`. An array's objects are named by their `id` when they have one; an array of plain values
 * becomes one comma-separated value. Bounded, as the detail comes from other processes.
 */
export function healthFacts(value: unknown, maxFacts = 60): Fact[] {
  const facts: Fact[] = [];
  const walk = (node: unknown, path: string[], depth: number): void => {
    if (facts.length >= maxFacts) return;
    const at = path.join(' › ');
    if (node === null || node === undefined) return void facts.push([at, null]);
    if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return void facts.push([at, node]);
    if (depth >= 6) return void facts.push([at, '…']);
    if (Array.isArray(node)) {
      if (node.every((v) => !isRecord(v) && !Array.isArray(v))) return void facts.push([at, node.map(String).join(', ')]);
      node.forEach((v, i) => walk(v, [...path, isRecord(v) && typeof v.id === 'string' ? v.id : String(i + 1)], depth + 1));
      return;
    }
    if (isRecord(node)) {
      for (const [k, v] of Object.entries(node)) {
        // An element named by its id need not repeat it.
        if (k === 'id' && path.length > 0 && path[path.length - 1] === v) continue;
        walk(v, [...path, k], depth + 1);
      }
      return;
    }
    facts.push([at, String(node)]);
  };
  walk(value, [], 0);
  return facts;
}
