import { smppBindCounts } from './channel-metrics';

describe('smppBindCounts', () => {
  const report = (routes: Record<string, { binds: { id: string; state: string }[] }>) => ({ up: true, detail: { routes } });

  it("sums binds per route and state over every worker's report", () => {
    const all = {
      sms: {
        up: true,
        workers: 2,
        detail: {
          workers: {
            'a:1': report({ 'jp-direct': { binds: [{ id: 'jp-direct#0', state: 'bound' }, { id: 'jp-direct#1', state: 'connecting' }] } }),
            'b:2': report({ 'jp-direct': { binds: [{ id: 'jp-direct#0', state: 'bound' }] }, intl: { binds: [{ id: 'intl#0', state: 'connecting' }] } }),
          },
        },
      },
    };
    const counts = smppBindCounts(all);
    expect(Object.fromEntries([...counts].map(([route, s]) => [route, Object.fromEntries(s)]))).toEqual({ 'jp-direct': { bound: 2, connecting: 1 }, intl: { connecting: 1 } });
  });

  it('adds nothing for a report of another shape, or none', () => {
    expect(smppBindCounts({}).size).toBe(0);
    expect(smppBindCounts({ sms: { up: true, workers: 0, detail: { note: 'no worker has reported' } } }).size).toBe(0);
    expect(smppBindCounts({ sms: { up: true, workers: 1, detail: { workers: { 'a:1': { up: true, detail: { scripted: true } } } } } }).size).toBe(0);
  });
});
