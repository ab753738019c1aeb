import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { inline, literal } from './sql-literal';

/** One SQL template with its `$n` parameters. */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

interface ScriptClient {
  query(text: string): Promise<unknown>;
}

/** A statement seen this often is worth a plan kept on the connection; one-off texts never are. */
const PREPARE_AFTER_USES = 2;
/** Bounds on what a process remembers: texts counted, plans kept per connection. */
const MAX_COUNTED_TEXTS = 5_000;
const MAX_PREPARED_PER_CONNECTION = 256;
/** SQLSTATE 26000: EXECUTE of a name the session does not have. */
const INVALID_STATEMENT_NAME = '26000';

/**
 * The engine's hot statements travel several to a round trip over the simple protocol, which
 * takes no parameters and keeps no plans: PostgreSQL parsed and planned every one of them again,
 * and the pipeline bench measured as much time planning as executing. So a template used more
 * than once is `PREPARE`d on the connection (in its own round trip, once per connection) and
 * then sent as `EXECUTE name(literals)` inside the same scripts: one round trip still, and the
 * plan is kept. A template PostgreSQL cannot prepare (a parameter whose type it cannot infer)
 * is remembered and inlined as before. Off for a transaction-mode pooler (PgBouncer), where a
 * session's prepared statements do not follow the client.
 */
export class PreparedStatements {
  private static readonly log = new Logger('PreparedStatements');
  private static enabled = true;
  private static readonly templates = new Map<string, Template>();
  private static readonly refused = new Set<string>();
  private static readonly byConnection = new WeakMap<object, Set<string>>();

  static configure({ enabled }: { enabled: boolean }): void {
    this.enabled = enabled;
  }

  /**
   * The script text for `statements` on `client`, preparing first (in round trips of their own)
   * the templates that have earned it. `inTransaction`: a transaction is open on the client, so a
   * failed PREPARE is fenced by a savepoint and cannot abort it.
   */
  static async render(client: ScriptClient, statements: readonly (Statement | string)[], inTransaction: boolean): Promise<string[]> {
    const prepared = this.connection(client);
    const texts: string[] = [];
    for (const s of statements) {
      if (typeof s === 'string') {
        texts.push(s);
        continue;
      }
      // EXECUTE must pass exactly the parameters the template names.
      const template = prepared ? this.template(s.sql) : null;
      const name = prepared && template?.placeholders === s.params.length ? await this.ensure(client, prepared, template, s.sql, inTransaction) : null;
      texts.push(name ? execute(name, s.params) : inline(s.sql, s.params));
    }
    return texts;
  }

  /**
   * Called with a failed script's error: when the connection no longer holds what this process
   * prepared on it (a `DISCARD ALL`, a pooler in front that swapped the session), forget it all,
   * so the next use prepares again instead of failing forever.
   */
  static forgetIfLost(client: ScriptClient, err: unknown): void {
    if ((err as { code?: string } | null)?.code === INVALID_STATEMENT_NAME) this.byConnection.delete(client);
  }

  /** A template's name and parameter count, worked out once (a hash and a scan of its text). */
  private static template(sql: string): Template {
    let found = this.templates.get(sql);
    if (!found) {
      if (this.templates.size >= MAX_COUNTED_TEXTS) this.templates.clear();
      found = { name: nameOf(sql), placeholders: highestPlaceholder(sql), uses: 0 };
      this.templates.set(sql, found);
    }
    return found;
  }

  private static connection(client: ScriptClient): Set<string> | null {
    if (!this.enabled) return null;
    let names = this.byConnection.get(client);
    if (!names) {
      names = new Set();
      this.byConnection.set(client, names);
    }
    return names;
  }

  /** The prepared statement's name on this connection, or null to send the template inlined. */
  private static async ensure(client: ScriptClient, prepared: Set<string>, template: Template, sql: string, inTransaction: boolean): Promise<string | null> {
    const { name } = template;
    if (prepared.has(name)) return name;
    if (this.refused.has(name) || prepared.size >= MAX_PREPARED_PER_CONNECTION) return null;
    if (++template.uses < PREPARE_AFTER_USES) return null;
    const statement = `PREPARE ${name} AS ${sql}`;
    try {
      await client.query(inTransaction ? `SAVEPOINT tsunagu_prepare; ${statement}; RELEASE SAVEPOINT tsunagu_prepare` : statement);
    } catch (err) {
      // Only PostgreSQL saying "not as a prepared statement" (class 42: an untyped parameter)
      // refuses the template for good; a lost connection is the caller's failure, retried as any.
      if (!String((err as { code?: unknown }).code ?? '').startsWith('42')) throw err;
      if (inTransaction) await client.query('ROLLBACK TO SAVEPOINT tsunagu_prepare; RELEASE SAVEPOINT tsunagu_prepare');
      // A template, never values: safe to name in a log.
      this.log.warn({ statement: name, err: (err as Error).message, sql: sql.replace(/\s+/g, ' ').slice(0, 80) }, 'statement cannot be prepared; sent inlined');
      this.refused.add(name);
      return null;
    }
    prepared.add(name);
    return name;
  }
}

interface Template {
  name: string;
  placeholders: number;
  /** How often this process has sent it unprepared (`PREPARE_AFTER_USES`). */
  uses: number;
}

function highestPlaceholder(sql: string): number {
  let max = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}

function nameOf(sql: string): string {
  return `tsunagu_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
}

function execute(name: string, params: readonly unknown[]): string {
  return params.length ? `EXECUTE ${name}(${params.map(literal).join(', ')})` : `EXECUTE ${name}`;
}
