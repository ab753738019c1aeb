import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CanaryKind, addKeyCanary, addSecretCanary, findCanaries } from './log-canaries';

const ROOT = join(__dirname, '..', '..');
const CLI_DEADLINE_MS = 30_000;

/**
 * The secret a CLI command makes and prints once, on purpose, as its result (apps/cli/src/main.ts):
 * printing it is the command's job, not a leak. Its line — the one announcing it, or the one after —
 * is the only output the scan leaves out, and its value becomes a canary of everything else: the
 * rest of this run's output, and every later log in this test file.
 */
const SHOWN_ONCE: Record<string, { kind: CanaryKind; announce: string; on: 'same line' | 'next line' }> = {
  // `callback signing secret (shown once): whsec_…`, then the tenant id on the last line.
  'tenant:create': { kind: 'callback-secret', announce: 'callback signing secret (shown once): ', on: 'same line' },
  'tenant:rotate-callback-secret': { kind: 'callback-secret', announce: 'new callback signing secret (shown once):', on: 'next line' },
  'apikey:create': { kind: 'key', announce: '(the key is shown once; store it now)', on: 'next line' },
  // Only when the password was generated; one given in TSUNAGU_STAFF_PASSWORD is never printed.
  'staff:create': { kind: 'staff-password', announce: 'password (shown once;', on: 'next line' },
};

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The secret the command printed once as its result, if it did. */
  shownOnce?: string;
}

/** The shown-once line of this output (by index) and its secret, after registering it as a canary. */
function shownOnceIn(command: string, stdoutLines: string[]): { index: number; value: string } | null {
  const rule = SHOWN_ONCE[command];
  const at = rule ? stdoutLines.findIndex((l) => l.includes(rule.announce)) : -1;
  if (!rule || at < 0) return null;
  const index = rule.on === 'same line' ? at : at + 1;
  const line = stdoutLines[index] ?? '';
  const value = (rule.on === 'same line' ? line.slice(line.indexOf(rule.announce) + rule.announce.length) : line).trim();
  if (rule.kind === 'key') addKeyCanary(value);
  else addSecretCanary(rule.kind, value);
  return { index, value };
}

/**
 * Throws, naming the stream, kind and line (never the value), when a CLI run's output holds a
 * canary: all of stderr (where its only log lines go: Nest's error logger and `console.error`), any
 * log file it wrote, and stdout but for the one shown-once line of its result.
 */
export function assertCliOutputClean(args: readonly string[], out: { stdout: string; stderr: string; log?: string }): string | undefined {
  const stdoutLines = out.stdout.split('\n');
  const shown = shownOnceIn(args[0] ?? '', stdoutLines);
  // Blank, not removed: the line numbers reported stay those of the real output.
  if (shown) stdoutLines[shown.index] = '';
  const found = [
    ...findCanaries(stdoutLines.join('\n')).map((f) => `stdout: ${f}`),
    ...findCanaries(out.stderr).map((f) => `stderr: ${f}`),
    ...(out.log ? findCanaries(out.log).map((f) => `log file: ${f}`) : []),
  ];
  if (found.length) throw new Error(`personal data or a secret in the output of the CLI's ${args[0] ?? '(no command)'}: ${found.join(', ')}`);
  return shown?.value;
}

/**
 * Runs the built CLI (`npm run cli -- …`, as an operator would) with `env` over this process's
 * environment, then scans what it wrote for the canaries the test registered (assertCliOutputClean):
 * a finding fails the test. The CLI has no log file today; should it ever honour TSUNAGU_LOG_FILE
 * as the apps do, it writes to one of ours and that is scanned too.
 */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-cli-'));
  const logFile = join(dir, 'cli.log');
  try {
    const child = spawn(process.execPath, ['scripts/run.js', 'apps/cli/src/main', ...args], { cwd: ROOT, env: { ...process.env, ...env, TSUNAGU_LOG_FILE: logFile } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const status = await new Promise<number | null>((resolve, reject) => {
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the CLI's ${args[0]} did not finish within ${CLI_DEADLINE_MS} ms`));
      }, CLI_DEADLINE_MS);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(deadline);
        resolve(code);
      });
    });
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : undefined;
    const shownOnce = assertCliOutputClean(args, { stdout, stderr, log });
    return { status, stdout, stderr, shownOnce };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
