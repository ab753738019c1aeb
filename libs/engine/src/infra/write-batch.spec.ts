import { PendingWrite, composeWrites as composeTemplates, notifyAfterCommit } from './write-batch';
import { escapeLiteral } from 'pg';
import { inline, literal, quote } from './sql-literal';

describe('inline', () => {
  it('quotes values the way pg would send them as parameters', () => {
    expect(literal(null)).toBe('NULL');
    expect(literal(undefined)).toBe('NULL');
    expect(literal(true)).toBe("'true'");
    expect(literal(42)).toBe("'42'");
    expect(literal("it's")).toBe("'it''s'");
    expect(literal('back\\slash')).toBe(" E'back\\\\slash'");
    expect(literal(['a', 'b"c'])).toBe(`'{"a","b\\"c"}'`.replace(/^'/, " E'").replace('\\"', '\\\\"'));
    expect(literal(Buffer.from([0xde, 0xad]))).toBe(" E'\\\\xdead'");
    expect(literal(new Date('2026-11-25T00:00:00Z'))).toMatch(/^'2026-11-2\d/);
  });

  it("quotes text exactly as pg's escapeLiteral does, escaped or not", () => {
    const pieces = ["'", '\\', "''", '\\\\', 'a', 'ご注文', '"', '\n', ' E', '$1', '{"k":"v"}', '😀'];
    // A fixed walk through combinations of the pieces, not Math.random: a failure reproduces.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const samples = ['', 'plain', "it's", 'back\\slash', "both ' and \\"];
    for (let i = 0; i < 500; i++) samples.push(Array.from({ length: next() % 8 }, () => pieces[next() % pieces.length]).join(''));
    for (const text of samples) expect(quote(text)).toBe(escapeLiteral(text));
  });

  it('replaces every placeholder once and never rescans an inserted value', () => {
    expect(inline('SELECT $1, $2, $1', ['$2', 'x'])).toBe("SELECT '$2', 'x', '$2'");
    expect(inline('SELECT $10', Array.from({ length: 10 }, (_, i) => i + 1))).toBe("SELECT '10'");
  });

  it('refuses a placeholder without its parameter', () => {
    expect(() => inline('SELECT $2', ['a'])).toThrow('placeholder $2 has no parameter');
  });

  it('refuses a NUL, which would cut the simple-protocol message short and cost the connection', () => {
    expect(() => literal('abc\u0000def')).toThrow('NUL character');
    expect(() => literal(['a\u0000'])).toThrow('NUL character');
    expect(() => inline('SELECT $1', ["it's\u0000"])).toThrow('NUL character');
    // Inside JSON it is the escape `\u0000`, not the byte: jsonb refuses that itself, with its own error.
    expect(literal({ k: '\u0000' })).toBe(" E'{\"k\":\"\\\\u0000\"}'");
  });
});

/** The composed statements as the simple protocol would run them inlined. */
const composeWrites = (writes: PendingWrite[]) => composeTemplates(writes).map((s) => inline(s.sql, s.params));

describe('composeWrites', () => {
  it('numbers each write\'s parameters after the ones before it, as one template', () => {
    const [statement] = composeTemplates([
      { sql: 'UPDATE a SET x = $1 WHERE id = $2', params: [1, 'a1'], rowKey: 'a:a1' },
      { sql: 'INSERT INTO b (p, q) VALUES ($2, $1)', params: ['q', 'p'] },
    ]);
    expect(statement).toEqual({
      sql: 'WITH w0 AS (UPDATE a SET x = $1 WHERE id = $2),\nw1 AS (INSERT INTO b (p, q) VALUES ($4, $3))\nSELECT 1',
      params: [1, 'a1', 'q', 'p'],
    });
  });

  it('composes a chain of templates once: the same text, the same string, each time; new values each time', () => {
    const chain = (id: string, note: string): PendingWrite[] => [
      { sql: 'UPDATE a SET x = $2 WHERE id = $1', params: [id, 1], rowKey: `a:${id}` },
      { sql: 'INSERT INTO e (a, note) VALUES ($1, $2)', params: [id, note] },
    ];
    const [first] = composeTemplates(chain('a1', 'one'));
    const [second] = composeTemplates(chain('a2', 'two'));
    expect(second.sql).toBe(first.sql);
    expect(inline(second.sql, second.params)).toBe("WITH w0 AS (UPDATE a SET x = '1' WHERE id = 'a2'),\nw1 AS (INSERT INTO e (a, note) VALUES ('a2', 'two'))\nSELECT 1");
    // A longer chain that starts the same way is its own statement, numbered on from the shared start.
    const [longer] = composeTemplates([...chain('a3', 'three'), { sql: 'INSERT INTO e (a, note) VALUES ($1, $2)', params: ['a3', 'again'] }]);
    expect(inline(longer.sql, longer.params)).toBe(
      "WITH w0 AS (UPDATE a SET x = '1' WHERE id = 'a3'),\nw1 AS (INSERT INTO e (a, note) VALUES ('a3', 'three')),\nw2 AS (INSERT INTO e (a, note) VALUES ('a3', 'again'))\nSELECT 1",
    );
  });

  it('numbers a chain right however many templates it has seen, past its bound and with a template given other parameters', () => {
    for (let i = 0; i < 2_500; i++) {
      const [statement] = composeTemplates([
        { sql: `UPDATE t${i} SET x = $1 WHERE id = $2`, params: [i, `r${i}`], rowKey: `t${i}:r${i}` },
        { sql: 'INSERT INTO e (n) VALUES ($1)', params: [i] },
      ]);
      expect(inline(statement.sql, statement.params)).toBe(`WITH w0 AS (UPDATE t${i} SET x = '${i}' WHERE id = 'r${i}'),\nw1 AS (INSERT INTO e (n) VALUES ('${i}'))\nSELECT 1`);
    }
    // The same text with one parameter fewer (a template that did not name all it was given is a caller's bug, but must not shift the next write's numbers).
    const odd = composeTemplates([
      { sql: 'UPDATE t0 SET x = $1 WHERE id = $2', params: [1, 'r', 'extra'], rowKey: 't0:r' },
      { sql: 'INSERT INTO e (n) VALUES ($1)', params: [2] },
    ])[0];
    expect(odd.sql).toContain('VALUES ($4)');
    expect(odd.params).toEqual([1, 'r', 'extra', 2]);
  });

  it('sends a lone write as it is', () => {
    expect(composeWrites([{ sql: 'DELETE FROM t WHERE id = $1', params: ['a'] }])).toEqual(["DELETE FROM t WHERE id = 'a'"]);
  });

  it('chains writes into one statement of CTEs; their wake-ups are not in it', () => {
    const [statement, ...rest] = composeWrites([
      { sql: 'UPDATE a SET x = $1 WHERE id = $2', params: [1, 'a1'], rowKey: 'a:a1' },
      { sql: 'INSERT INTO outbox (q) VALUES ($1)', params: ['send'], notify: 'tsunagu_outbox' },
    ]);
    expect(rest).toEqual([]);
    expect(statement).toBe("WITH w0 AS (UPDATE a SET x = '1' WHERE id = 'a1'),\nw1 AS (INSERT INTO outbox (q) VALUES ('send'))\nSELECT 1");
  });

  it('sends wake-ups after the commit, once per channel, in a transaction that does not wait for the WAL flush', () => {
    expect(notifyAfterCommit([])).toEqual([]);
    expect(notifyAfterCommit(['tsunagu_due', 'tsunagu_outbox', 'tsunagu_due'])).toEqual([
      'BEGIN',
      'SET LOCAL synchronous_commit = off',
      "SELECT pg_notify('tsunagu_due', ''), pg_notify('tsunagu_outbox', '')",
      'COMMIT',
    ]);
  });

  it('starts a new statement when a row would be updated twice in one', () => {
    const statements = composeWrites([
      { sql: 'UPDATE m SET s = $1 WHERE id = $2', params: ['dispatching', 'm1'], rowKey: 'messages:m1' },
      { sql: 'INSERT INTO e VALUES ($1)', params: ['e1'] },
      { sql: 'UPDATE m SET d = $1 WHERE id = $2', params: [null, 'm1'], rowKey: 'messages:m1' },
      { sql: 'UPDATE m SET d = $1 WHERE id = $2', params: [null, 'm2'], rowKey: 'messages:m2' },
    ]);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toContain("'dispatching'");
    expect(statements[0]).toContain("'e1'");
    expect(statements[1]).toContain("'m1'");
    expect(statements[1]).toContain("'m2'");
  });

  it('starts a new statement when a write could miss an earlier one to the same table', () => {
    // The CTEs of one statement share its snapshot: the update would not see the inserted row.
    const insertThenUpdate = composeWrites([
      { sql: 'INSERT INTO t (id, n) VALUES ($1, $2)', params: [1, 10] },
      { sql: 'UPDATE t SET n = n + 1 WHERE id = $1', params: [1], rowKey: 't:1' },
    ]);
    expect(insertThenUpdate).toEqual(["INSERT INTO t (id, n) VALUES ('1', '10')", "UPDATE t SET n = n + 1 WHERE id = '1'"]);
    const unkeyedUpdates = composeWrites([
      { sql: 'UPDATE t SET n = 1 WHERE id = $1', params: [1] },
      { sql: 'UPDATE t SET n = 2 WHERE n = $1', params: [1] },
    ]);
    expect(unkeyedUpdates).toHaveLength(2);
    const inserts = composeWrites([
      { sql: 'INSERT INTO events (id) VALUES ($1)', params: ['e1'] },
      { sql: 'insert into events (id) values ($1)', params: ['e2'] },
      { sql: 'UPDATE other SET n = 1 WHERE id = $1', params: ['o1'] },
    ]);
    expect(inserts).toHaveLength(1);
  });

  it('is empty for no writes', () => {
    expect(composeWrites([])).toEqual([]);
  });
});
