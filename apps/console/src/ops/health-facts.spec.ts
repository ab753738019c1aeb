import { healthFacts, ownOnly } from './health-facts';

const OWN = 'tenant-a';
const OTHER = 'tenant-b';

/** The shapes the built-in adapters report (rcs.adapter, line.adapter, sms.adapter `health()`). */
const rcs = {
  agents: {
    'agent-a': { tenantId: OWN, region: 'asia', auth: 'ok', lastCall: { at: '2026-12-06T02:38:33.500Z', outcome: 200 } },
    'agent-b': { tenantId: OTHER, region: 'europe', auth: 'invalid_grant', lastCall: null },
  },
  deliveredIdsRemembered: 3,
};
const line = {
  channels: {
    '2000000001': { tenantId: OWN, pnpEnabled: false, lastStatus: 200, lastCode: null, lastAt: '2026-12-06T02:38:33.824Z' },
    '2000000002': { tenantId: OTHER, pnpEnabled: true, lastStatus: 429, lastCode: 'rate_limited', lastAt: null },
  },
  unknownDestinations: 0,
};
const sms = {
  instanceId: 'vm:12773',
  routes: { 'jp-direct': { binds: [{ id: 'jp-direct#0', state: 'bound', outstanding: 0 }, { id: 'jp-direct#1', state: 'connecting', outstanding: 2 }] } },
  unparsedReceipts: 0,
};

describe('ownOnly: a tenant sees its own provider accounts and the shared routes', () => {
  it("drops another tenant's RBM agents and LINE channels, and the tenant ids themselves", () => {
    expect(ownOnly(rcs, OWN)).toEqual({ agents: { 'agent-a': { region: 'asia', auth: 'ok', lastCall: { at: '2026-12-06T02:38:33.500Z', outcome: 200 } } }, deliveredIdsRemembered: 3 });
    const ownLine = ownOnly(line, OWN);
    expect(JSON.stringify(ownLine)).not.toContain('2000000002');
    expect(JSON.stringify(ownLine)).not.toContain(OTHER);
    expect(JSON.stringify(ownLine)).not.toContain(OWN);
  });

  it('keeps what names no tenant (an SMPP route is shared), and filters arrays too', () => {
    expect(ownOnly(sms, OWN)).toEqual(sms);
    expect(ownOnly([{ tenantId: OTHER, x: 1 }, { tenantId: OWN, x: 2 }, { x: 3 }], OWN)).toEqual([{ x: 2 }, { x: 3 }]);
  });
});

describe('healthFacts: detail as readable (path, value) pairs', () => {
  it('names array elements by their id and does not repeat it', () => {
    expect(healthFacts(sms)).toEqual([
      ['instanceId', 'vm:12773'],
      ['routes › jp-direct › binds › jp-direct#0 › state', 'bound'],
      ['routes › jp-direct › binds › jp-direct#0 › outstanding', 0],
      ['routes › jp-direct › binds › jp-direct#1 › state', 'connecting'],
      ['routes › jp-direct › binds › jp-direct#1 › outstanding', 2],
      ['unparsedReceipts', 0],
    ]);
  });

  it('keeps nulls, joins arrays of plain values, numbers elements without an id', () => {
    expect(healthFacts({ lastCall: null, codes: ['a', 'b'], list: [{ n: 1 }] })).toEqual([
      ['lastCall', null],
      ['codes', 'a, b'],
      ['list › 1 › n', 1],
    ]);
  });

  it('is bounded in count and depth, whatever a worker reported', () => {
    expect(healthFacts(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])), 60)).toHaveLength(60);
    const deep = { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } };
    expect(healthFacts(deep)).toEqual([['a › b › c › d › e › f', '…']]);
  });
});
