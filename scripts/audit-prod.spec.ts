import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The gate itself is plain JavaScript so it runs before anything is built (`npm run audit:prod`).
const { evaluate, parseExceptions, MAX_EXCEPTION_DAYS } = require('./audit-prod') as {
  evaluate(report: unknown, exceptions: unknown, now?: number): {
    status: 'pass' | 'fail' | 'unavailable';
    detail: string;
    blocking: { advisory: string; package: string; severity: string; why: string; nodes: string[] }[];
    excepted: { advisory: string; package: string; reason: string }[];
    stale: { advisory: string; package: string }[];
    problems: string[];
  };
  parseExceptions(doc: unknown): { exceptions: unknown[]; problems: string[] };
  MAX_EXCEPTION_DAYS: number;
};

const NOW = Date.parse('2026-12-05T08:00:00Z');
const none = { exceptions: [] };

/** An advisory as npm audit (report version 2) lists it in a package's `via`. */
function advisory(name: string, severity: string, ghsa: string, range = '<1.2.3') {
  return { source: 1100000 + ghsa.length, name, dependency: name, title: `${name} is vulnerable`, url: `https://github.com/advisories/${ghsa}`, severity, cwe: [], cvss: { score: 7.5 }, range };
}

/** `transitive` depends on `name`: npm lists it too, with the package's name in `via`. */
function report(name: string, severity: string, ghsa: string, transitive?: string) {
  const vulnerabilities: Record<string, unknown> = {
    [name]: { name, severity, isDirect: !transitive, via: [advisory(name, severity, ghsa)], effects: transitive ? [transitive] : [], range: '<1.2.3', nodes: [`node_modules/${name}`], fixAvailable: true },
  };
  if (transitive) {
    vulnerabilities[transitive] = { name: transitive, severity, isDirect: true, via: [name], effects: [], range: '2.0.0 - 2.4.0', nodes: [`node_modules/${transitive}`], fixAvailable: true };
  }
  const count = { info: 0, low: 0, moderate: 0, high: 0, critical: 0 } as Record<string, number>;
  count[severity] = Object.keys(vulnerabilities).length;
  return { auditReportVersion: 2, vulnerabilities, metadata: { vulnerabilities: { ...count, total: Object.keys(vulnerabilities).length } } };
}

const exception = (over: Record<string, string> = {}) => ({
  advisory: 'GHSA-2p57-rm9w-gvfp',
  package: 'ip',
  reason: 'only the isPublic helper is affected; Tsunagu never calls it',
  reviewedBy: 'security@tsunagu',
  reviewed: '2026-11-20',
  expires: '2027-02-20',
  ...over,
});

describe('audit:prod gate', () => {
  it('passes a report with no advisory', () => {
    const clean = { auditReportVersion: 2, vulnerabilities: {}, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 } } };
    expect(evaluate(clean, none, NOW)).toMatchObject({ status: 'pass', blocking: [], excepted: [] });
  });

  it('blocks a high advisory once, on the package it names, not again on the package that pulls it in', () => {
    const result = evaluate(report('ip', 'high', 'GHSA-2p57-rm9w-gvfp', 'socks'), none, NOW);
    expect(result.status).toBe('fail');
    expect(result.blocking).toEqual([expect.objectContaining({ advisory: 'GHSA-2p57-rm9w-gvfp', package: 'ip', severity: 'high', why: 'no documented exception', nodes: ['node_modules/ip'] })]);
  });

  it('blocks critical, and lets low and moderate through', () => {
    expect(evaluate(report('minimist', 'critical', 'GHSA-xvch-5gv4-984h'), none, NOW).status).toBe('fail');
    expect(evaluate(report('semver', 'moderate', 'GHSA-c2qf-rxjj-qqgw'), none, NOW)).toMatchObject({ status: 'pass', blocking: [] });
    expect(evaluate(report('debug', 'low', 'GHSA-gxpj-cx7g-858c'), none, NOW)).toMatchObject({ status: 'pass', blocking: [] });
  });

  it('judges each advisory by its own severity, not by the package total', () => {
    const mixed = report('ip', 'high', 'GHSA-2p57-rm9w-gvfp');
    const entry = (mixed.vulnerabilities as Record<string, { via: unknown[] }>).ip;
    entry.via = [advisory('ip', 'moderate', 'GHSA-78xj-cgh5-2h22'), advisory('ip', 'high', 'GHSA-2p57-rm9w-gvfp')];
    expect(evaluate(mixed, none, NOW).blocking.map((b) => b.advisory)).toEqual(['GHSA-2p57-rm9w-gvfp']);
  });

  it('accepts a documented, unexpired exception for that advisory in that package only', () => {
    const ok = evaluate(report('ip', 'high', 'GHSA-2p57-rm9w-gvfp', 'socks'), { exceptions: [exception()] }, NOW);
    expect(ok).toMatchObject({ status: 'pass', blocking: [], stale: [] });
    expect(ok.excepted).toEqual([expect.objectContaining({ advisory: 'GHSA-2p57-rm9w-gvfp', package: 'ip', reason: exception().reason })]);
    // The same advisory id in another package is not covered.
    expect(evaluate(report('ip', 'high', 'GHSA-2p57-rm9w-gvfp'), { exceptions: [exception({ package: 'socks' })] }, NOW).status).toBe('fail');
  });

  it('blocks again once the exception has expired', () => {
    const result = evaluate(report('ip', 'high', 'GHSA-2p57-rm9w-gvfp'), { exceptions: [exception({ reviewed: '2026-09-01', expires: '2026-12-01' })] }, NOW);
    expect(result.status).toBe('fail');
    expect(result.blocking[0].why).toBe('its exception expired on 2026-12-01');
  });

  it('refuses exceptions without a reason, a reviewer or dates, or that run longer than allowed', () => {
    expect(parseExceptions({ exceptions: [exception({ reason: ' ' })] }).problems).toEqual(['exception 1: missing reason']);
    expect(parseExceptions({ exceptions: [{ advisory: 'GHSA-2p57-rm9w-gvfp', package: 'ip' }] }).problems[0]).toBe('exception 1: missing reason, reviewedBy, reviewed, expires');
    expect(parseExceptions({ exceptions: [exception({ expires: 'soon' })] }).problems[0]).toMatch(/must be dates/);
    expect(parseExceptions({ exceptions: [exception({ reviewed: '2026-01-01', expires: '2026-12-31' })] }).problems[0]).toMatch(`more than ${MAX_EXCEPTION_DAYS} days`);
    expect(parseExceptions([]).problems).toEqual(['the exceptions file must be {"exceptions": [...]}']);
    // A malformed file fails the gate even when the audit itself is clean.
    const clean = { auditReportVersion: 2, vulnerabilities: {}, metadata: {} };
    expect(evaluate(clean, { exceptions: [exception({ reason: '' })] }, NOW).status).toBe('fail');
  });

  it('names exceptions that match nothing any more, so they are removed rather than kept', () => {
    const clean = { auditReportVersion: 2, vulnerabilities: {}, metadata: {} };
    expect(evaluate(clean, { exceptions: [exception()] }, NOW)).toMatchObject({ status: 'pass', stale: [{ advisory: 'GHSA-2p57-rm9w-gvfp', package: 'ip' }] });
  });

  it('never reads a refused or missing audit as a pass', () => {
    // What npm audit --json prints when a registry proxy allows only GET (this CI machine's).
    const refused = { message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } };
    expect(evaluate(refused, none, NOW)).toMatchObject({ status: 'unavailable', detail: refused.message });
    expect(evaluate(undefined, none, NOW).status).toBe('unavailable');
    expect(evaluate({ auditReportVersion: 1, advisories: {} }, none, NOW).status).toBe('unavailable');
  });

  it('the repository exceptions file is well formed and lists only dated, reasoned exceptions', () => {
    const doc = JSON.parse(readFileSync(join(__dirname, '..', 'security', 'audit-exceptions.json'), 'utf8'));
    expect(parseExceptions(doc).problems).toEqual([]);
  });
});
