import { DataSource, EntityTarget } from 'typeorm';

/**
 * Reads an entity's columns from a hand-written join under an alias and builds the entity from
 * the raw row: the hot paths lock and load a message, its attempts and its contact in one
 * statement instead of one repository call (and one hydration pass) each. pg already returns
 * the column types TypeORM would (Date, Buffer, arrays, parsed JSON).
 */
export class EntityRows<T> {
  readonly select: string;
  private readonly columns: { key: string; prop: string }[];
  private readonly primaryKey: string;
  private readonly create: () => T;

  constructor(db: DataSource, entity: EntityTarget<T>, readonly alias: string) {
    const metadata = db.getMetadata(entity);
    this.columns = metadata.columns.map((c) => ({ key: `${alias}__${c.databaseName}`, prop: c.propertyName }));
    this.select = metadata.columns.map((c) => `${alias}."${c.databaseName}" AS "${alias}__${c.databaseName}"`).join(', ');
    this.primaryKey = `${alias}__${metadata.primaryColumns[0].databaseName}`;
    this.create = () => metadata.create() as T;
  }

  /** Null when the alias is the empty side of an outer join. */
  from(row: Record<string, unknown>): T | null {
    if (row[this.primaryKey] === null || row[this.primaryKey] === undefined) return null;
    const entity = this.create() as Record<string, unknown>;
    for (const c of this.columns) entity[c.prop] = row[c.key];
    return entity as T;
  }
}
