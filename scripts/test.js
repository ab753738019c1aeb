#!/usr/bin/env node
// The README's test command. Runs every jest project once, writes the JSON report, and ends with
// the totals on a line of their own ("N passed, N failed") so a run that executed no test shows.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const outDir = path.resolve(__dirname, '..', 'test-output');
fs.mkdirSync(outDir, { recursive: true });
const report = path.join(outDir, 'jest-results.json');
fs.rmSync(report, { force: true });

// --forceExit: a handle leaked by one test must not hang CI after every result is in.
const args = ['--json', `--outputFile=${report}`, '--forceExit', ...process.argv.slice(2)];
if (process.env.CI) args.push('--ci');
const jestBin = require.resolve('jest/bin/jest');
const run = spawnSync(process.execPath, [jestBin, ...args], { stdio: 'inherit' });

let passed = 0;
let failed = 0;
if (fs.existsSync(report)) {
  const results = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && passed > 0 && failed === 0 ? 0 : 1);
