#!/usr/bin/env node
// The dependency gate a bank's review asks for: `npm audit --omit=dev` (what ships in the image,
// `npm prune --omit=dev`) must show no high or critical advisory, except the ones documented in
// security/audit-exceptions.json, each with a reason, a reviewer's date and an expiry.
//
// Exit codes: 0 clean (or only documented exceptions), 1 a high or critical advisory not excepted
// (or an exception expired, or the exceptions file malformed), 2 the audit could not be made (the
// registry refused or did not answer): never read as a pass.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const BLOCKING = new Set(['high', 'critical']);
const DAY_MS = 24 * 60 * 60 * 1000;
/** An exception is a decision to revisit, not a waiver: at most this long after its review. */
const MAX_EXCEPTION_DAYS = 180;

/** The advisory's id from its URL (`https://github.com/advisories/GHSA-…`), else npm's numeric source. */
function advisoryId(via) {
  const match = /GHSA(-[23456789cfghjmpqrvwx]{4}){3}/.exec(String(via.url ?? ''));
  return match ? match[0] : String(via.source);
}

/** The exceptions file, checked: every entry names an advisory and a package and says why, who and until when. */
function parseExceptions(doc) {
  const problems = [];
  const list = Array.isArray(doc?.exceptions) ? doc.exceptions : null;
  if (!list) return { exceptions: [], problems: ['the exceptions file must be {"exceptions": [...]}'] };
  const exceptions = [];
  list.forEach((e, i) => {
    const at = `exception ${i + 1}`;
    const missing = ['advisory', 'package', 'reason', 'reviewedBy', 'reviewed', 'expires'].filter((k) => typeof e?.[k] !== 'string' || e[k].trim() === '');
    if (missing.length) return problems.push(`${at}: missing ${missing.join(', ')}`);
    const reviewed = Date.parse(`${e.reviewed}T00:00:00Z`);
    const expires = Date.parse(`${e.expires}T00:00:00Z`);
    if (Number.isNaN(reviewed) || Number.isNaN(expires)) return problems.push(`${at} (${e.advisory}): reviewed and expires must be dates (YYYY-MM-DD)`);
    if (expires <= reviewed) return problems.push(`${at} (${e.advisory}): expires must be after reviewed`);
    if (expires - reviewed > MAX_EXCEPTION_DAYS * DAY_MS) return problems.push(`${at} (${e.advisory}): expires more than ${MAX_EXCEPTION_DAYS} days after review`);
    exceptions.push({ ...e, expiresAt: expires });
  });
  return { exceptions, problems };
}

/**
 * Judges one `npm audit --json` report (auditReportVersion 2). Advisories are the object entries
 * of a package's `via`; string entries only say the package depends on a vulnerable one, whose
 * own entry carries the advisory, so each advisory is judged once, on the package it names.
 */
function evaluate(report, exceptionsDoc, now = Date.now()) {
  if (!report || report.auditReportVersion !== 2 || typeof report.vulnerabilities !== 'object' || report.vulnerabilities === null) {
    const detail = report?.message ?? report?.error?.summary ?? 'not an npm audit report';
    return { status: 'unavailable', detail: String(detail), blocking: [], excepted: [], stale: [], problems: [] };
  }
  const { exceptions, problems } = parseExceptions(exceptionsDoc);
  const findings = new Map();
  for (const vulnerability of Object.values(report.vulnerabilities)) {
    for (const via of vulnerability.via ?? []) {
      if (typeof via !== 'object' || !BLOCKING.has(via.severity)) continue;
      const finding = {
        advisory: advisoryId(via),
        package: via.dependency ?? via.name ?? vulnerability.name,
        severity: via.severity,
        title: via.title ?? '',
        url: via.url ?? '',
        range: via.range ?? '',
        nodes: vulnerability.nodes ?? [],
      };
      findings.set(`${finding.advisory} ${finding.package}`, finding);
    }
  }
  const blocking = [];
  const excepted = [];
  const used = new Set();
  for (const finding of findings.values()) {
    const exception = exceptions.find((e) => e.advisory === finding.advisory && e.package === finding.package);
    if (!exception) blocking.push({ ...finding, why: 'no documented exception' });
    else if (exception.expiresAt <= now) blocking.push({ ...finding, why: `its exception expired on ${exception.expires}` });
    else excepted.push({ ...finding, reason: exception.reason, expires: exception.expires });
    if (exception) used.add(exception);
  }
  // Left over once the advisory is gone (fixed upstream): to be removed, not kept as a standing waiver.
  const stale = exceptions.filter((e) => !used.has(e)).map((e) => ({ advisory: e.advisory, package: e.package }));
  const status = blocking.length || problems.length ? 'fail' : 'pass';
  return { status, detail: '', blocking, excepted, stale, problems };
}

function runAudit(cwd) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['audit', '--omit=dev', '--json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  try {
    return JSON.parse(run.stdout);
  } catch {
    return { message: (run.stderr || run.error?.message || 'npm audit printed no JSON').trim().split('\n').pop() };
  }
}

function main() {
  const root = path.resolve(__dirname, '..');
  const exceptionsFile = path.join(root, 'security', 'audit-exceptions.json');
  const exceptionsDoc = JSON.parse(fs.readFileSync(exceptionsFile, 'utf8'));
  const result = evaluate(runAudit(root), exceptionsDoc);
  if (result.status === 'unavailable') {
    console.error(`audit:prod: could not audit, so nothing is known to be safe: ${result.detail}`);
    console.error('audit:prod: the registry must answer POST /-/npm/v1/security/advisories/bulk (a registry proxy that allows only GET cannot).');
    process.exit(2);
  }
  for (const p of result.problems) console.error(`audit:prod: ${path.relative(root, exceptionsFile)}: ${p}`);
  for (const f of result.blocking) console.error(`audit:prod: ${f.severity} ${f.advisory} in ${f.package} ${f.range} (${f.title}; ${f.nodes.join(', ')}): ${f.why}`);
  for (const f of result.excepted) console.log(`audit:prod: excepted until ${f.expires}: ${f.severity} ${f.advisory} in ${f.package}: ${f.reason}`);
  for (const s of result.stale) console.warn(`audit:prod: exception for ${s.advisory} in ${s.package} matches nothing any more: remove it`);
  console.log(`audit:prod: ${result.status === 'pass' ? 'pass' : 'FAIL'}: ${result.blocking.length} high or critical not excepted, ${result.excepted.length} excepted`);
  process.exit(result.status === 'pass' ? 0 : 1);
}

if (require.main === module) main();

module.exports = { evaluate, parseExceptions, MAX_EXCEPTION_DAYS };
