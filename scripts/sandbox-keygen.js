#!/usr/bin/env node
// Writes the RSA key the sandbox RBM's "service account" signs with, shared by the engine and the
// sandbox in the compose file. Sandbox only: a real RBM agent's key comes from Google.
'use strict';
const { generateKeyPairSync } = require('node:crypto');
const { existsSync, mkdirSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/sandbox-keygen.js <file.pem>');
  process.exit(2);
}
if (existsSync(file)) process.exit(0);
mkdirSync(dirname(file), { recursive: true });
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
console.log(`wrote ${file}`);
