import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
// Relative on purpose: jest's globalSetup runs outside moduleNameMapper.
import { runMigrations } from '../../database/src/data-source';

/** The machine's server; tests create and drop their own databases on it. */
export const TEST_SERVER_URL = process.env.TSUNAGU_TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

function urlFor(database: string): string {
  return `${TEST_SERVER_URL}/${database}`;
}

/** Named after the migrations' content, so a changed migration gets a fresh template and runs never race. */
export function templateName(): string {
  const dir = join(__dirname, '..', '..', 'database', 'src', 'migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(join(dir, file)));
  return `tsunagu_tpl_${hash.digest('hex').slice(0, 12)}`;
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: urlFor('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the migrated template once per migration set (jest globalSetup). */
export async function prepareTemplateDatabase(): Promise<string> {
  const name = templateName();
  await withAdmin(async (admin) => {
    // Serialise concurrent test runs on one server: only one builds the template.
    await admin.query('SELECT pg_advisory_lock(74200001)');
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount) return;
      const building = `${name}_building_${randomBytes(3).toString('hex')}`;
      await admin.query(`CREATE DATABASE "${building}"`);
      await runMigrations(urlFor(building));
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock(74200001)');
    }
  });
  return name;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A migrated database of its own for one test file, cloned from the template in milliseconds. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const template = templateName();
  const name = `tsunagu_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (admin) => {
    for (let tries = 0; ; tries++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (err) {
        // "source database is being accessed by other users": another clone in progress.
        if (tries > 50 || !/being accessed/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  return {
    name,
    url: urlFor(name),
    drop: () => withAdmin(async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}
