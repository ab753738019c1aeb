import { DataSource, EntityTarget } from 'typeorm';

type Convert = (value: unknown) => unknown;

/** JSON carries these as strings that are not what TypeORM would hand back. */
const CONVERSIONS: Record<string, Convert> = {
  timestamptz: (v) => new Date(v as string),
  'timestamp with time zone': (v) => new Date(v as string),
  // bytea comes as '\x' and hex.
  bytea: (v) => Buffer.from((v as string).slice(2), 'hex'),
};

/**
 * Types JSON cannot bring back faithfully: a timestamp without time zone has no offset (it would
 * be read in whatever zone this process runs in), and 64-bit and decimal numbers lose digits in
 * `JSON.parse`. An entity with one is refused at start-up, not misread at run time.
 */
const REFUSED = new Set(['timestamp', 'timestamp without time zone', 'bigint', 'int8', 'numeric', 'decimal']);

/**
 * Reads an entity from a hand-written join under an alias and builds it from the raw row: the
 * hot paths lock and load a message, its attempts and its contact in one statement instead of one
 * repository call (and one hydration pass) each.
 *
 * Each entity travels as one `row_to_json` value, not one column per field: the driver's cost is
 * per column of every result (a description parsed, a parser looked up, a value converted), and
 * three entities are some 60 columns on every locked read, where it was the worker's largest
 * share of CPU. One JSON value per entity is parsed natively in one go; only the types JSON
 * cannot carry (timestamps, bytea) are converted here, to what TypeORM returns.
 */
export class EntityRows<T> {
  /** The select-list item: the entity's row as JSON under the alias's name. */
  readonly select: string;
  private readonly columns: { name: string; prop: string; convert: Convert | null }[];
  private readonly primaryKey: string;
  private readonly table: string;
  private readonly create: () => T;

  constructor(db: DataSource, entity: EntityTarget<T>, readonly alias: string) {
    const metadata = db.getMetadata(entity);
    const unsafe = metadata.columns.find((c) => typeof c.type === 'string' && REFUSED.has(c.type));
    if (unsafe) throw new Error(`EntityRows: ${metadata.tableName}.${unsafe.databaseName} is ${String(unsafe.type)}, which JSON does not carry faithfully`);
    this.table = metadata.tableName;
    this.columns = metadata.columns.map((c) => ({
      name: c.databaseName,
      prop: c.propertyName,
      convert: (typeof c.type === 'string' && !c.isArray && CONVERSIONS[c.type]) || null,
    }));
    this.select = `row_to_json(${alias}.*) AS "${alias}"`;
    this.primaryKey = metadata.primaryColumns[0].databaseName;
    this.create = () => metadata.create() as T;
  }

  /**
   * A select-list item for the rows of this entity that belong to the outer row, as one JSON
   * array in `orderBy` (e.g. a message's attempts). A correlated subquery, not a join: PostgreSQL
   * runs it once per outer row on the condition's index, whatever it thinks of the table's size,
   * and the outer row is not repeated once per child.
   */
  list(where: string, orderBy: string): string {
    return `(SELECT coalesce(json_agg(${this.alias}.* ORDER BY ${orderBy}), '[]'::json) FROM ${this.table} ${this.alias} WHERE ${where}) AS "${this.alias}"`;
  }

  /**
   * A select-list item for the one row of this entity the outer row points to (a message's
   * contact), as JSON; `from` builds it. A correlated subquery for the same reason as `list`: as
   * a join, a prepared statement's generic plan, made while the table was small, hashed a
   * sequential scan of the whole table on every call.
   */
  one(where: string): string {
    return `(SELECT row_to_json(${this.alias}.*) FROM ${this.table} ${this.alias} WHERE ${where}) AS "${this.alias}"`;
  }

  /** The entities a `list` item carried. */
  fromList(row: Record<string, unknown>): T[] {
    const list = (row[this.alias] ?? []) as Record<string, unknown>[];
    return list.map((json) => this.build(json));
  }

  /** Null when the alias is the empty side of an outer join. */
  from(row: Record<string, unknown>): T | null {
    const json = row[this.alias] as Record<string, unknown> | null | undefined;
    if (!json || json[this.primaryKey] === null || json[this.primaryKey] === undefined) return null;
    return this.build(json);
  }

  private build(json: Record<string, unknown>): T {
    const entity = this.create() as Record<string, unknown>;
    for (const c of this.columns) {
      const value = json[c.name];
      entity[c.prop] = value === null || value === undefined ? null : c.convert ? c.convert(value) : value;
    }
    return entity as T;
  }
}
