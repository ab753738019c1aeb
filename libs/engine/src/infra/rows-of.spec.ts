import { rowsOf } from './rows-of';

describe('rowsOf', () => {
  it('unwraps the [rows, count] answer of UPDATE/DELETE … RETURNING', () => {
    expect(rowsOf([[{ id: 'a' }], 1])).toEqual([{ id: 'a' }]);
    expect(rowsOf([[], 0])).toEqual([]);
  });
  it('passes plain row arrays through, including two-row results', () => {
    expect(rowsOf([{ id: 'a' }, { id: 'b' }])).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(rowsOf([])).toEqual([]);
  });
});

/**
 * Every UPDATE or DELETE … RETURNING sent through TypeORM's `query` (a DataSource or an
 * EntityManager) must go through rowsOf: read as rows, its [rows, count] answer has length 2 even
 * when nothing matched, which let the console answer "done" to another tenant's ids (session 19).
 * The engine's own Tx (`tx.query`) and raw `pg` clients answer rows and are left alone.
 */
describe('UPDATE/DELETE … RETURNING through TypeORM', () => {
  const { readdirSync, readFileSync, statSync } = require('node:fs') as typeof import('node:fs');
  const { join, relative } = require('node:path') as typeof import('node:path');
  const root = join(__dirname, '..', '..', '..', '..');
  const sources = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'testing' ? [] : sources(path);
      return /\.ts$/.test(name) && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(name) ? [path] : [];
    });

  /** The `.query(` calls of a file whose SQL starts with UPDATE or DELETE and returns rows, and whether rowsOf wraps each. */
  function returningCalls(text: string): { line: number; wrapped: boolean }[] {
    const calls: { line: number; wrapped: boolean }[] = [];
    const call = /(\b(?:db|m|manager|dataSource|this\.db|this\.dataSource)\.query(?:<[^>]*>)?\(\s*`\s*(UPDATE|DELETE)\b)/g;
    for (let match = call.exec(text); match; match = call.exec(text)) {
      const sqlEnd = text.indexOf('`', text.indexOf('`', match.index) + 1);
      if (!/\bRETURNING\b/.test(text.slice(match.index, sqlEnd))) continue;
      const before = text.slice(Math.max(0, match.index - 120), match.index);
      calls.push({ line: text.slice(0, match.index).split('\n').length, wrapped: /rowsOf(<[^>]*>)?\(\s*(await\s+)?[\w.]*$/.test(before) });
    }
    return calls;
  }

  it('finds an unwrapped call, and accepts a wrapped one', () => {
    expect(returningCalls('const rows: unknown[] = await this.db.query(`UPDATE t SET a = 1 WHERE id = $1 RETURNING 1`, [id]);')).toEqual([{ line: 1, wrapped: false }]);
    expect(returningCalls('const rows = rowsOf(await m.query(`DELETE FROM t WHERE id = $1 RETURNING 1`, [id]));')).toEqual([{ line: 1, wrapped: true }]);
    expect(returningCalls('await m.query(`UPDATE t SET a = 1 WHERE id = $1`, [id]);')).toEqual([]);
  });

  it('none in apps/ or libs/ is read without rowsOf', () => {
    const unwrapped = ['apps', 'libs']
      .flatMap((top) => sources(join(root, top)))
      .flatMap((file) => returningCalls(readFileSync(file, 'utf8')).filter((c) => !c.wrapped).map((c) => `${relative(root, file)}:${c.line}`));
    expect(unwrapped).toEqual([]);
  });
});
