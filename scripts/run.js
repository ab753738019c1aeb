#!/usr/bin/env node
// Runs a compiled entry point from dist/ with the @tsunagu/* path aliases resolved
// against the compiled tree, so production needs neither ts-node nor a bundler.
'use strict';
const path = require('node:path');
const tsconfigPaths = require('tsconfig-paths');
const { compilerOptions } = require('../tsconfig.json');

const dist = path.resolve(__dirname, '..', 'dist');
tsconfigPaths.register({ baseUrl: dist, paths: compilerOptions.paths });

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node scripts/run.js <path-without-extension>, e.g. apps/api/src/main');
  process.exit(2);
}
process.argv.splice(2, 1);
require(path.join(dist, entry));
