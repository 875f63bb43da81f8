import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import { ADDED_COLUMNS, FINAL_STATEMENTS, SCHEMA_STATEMENTS, SYMBOL_INDEXES } from './schema.js';

/** What `migrate` brings a QuestDB to; the collector's own schema (db/schema.ts) unless a test hands in another. */
export interface Migration {
  /** DDL run in order; each must be idempotent (`IF NOT EXISTS`). */
  statements: readonly string[];
  /** Columns added to existing tables that lack them. */
  addedColumns: readonly { table: string; column: string; type: string }[];
  /** SYMBOL columns indexed when they are not yet. */
  symbolIndexes: readonly { table: string; column: string }[];
  /** DDL run last, once the added columns exist (e.g. dedup keys that name one); each idempotent. */
  finalStatements?: readonly string[];
}

export const COLLECTOR_SCHEMA: Migration = {
  statements: SCHEMA_STATEMENTS,
  addedColumns: ADDED_COLUMNS,
  symbolIndexes: SYMBOL_INDEXES,
  finalStatements: FINAL_STATEMENTS,
};

/**
 * Bring QuestDB to `schema` at collector start: create what is missing, then add the columns and
 * indexes that tables made by an older version lack, then the final statements. Safe to run again
 * (plugins/questdb.ts retries it until QuestDB answers), and by two collectors at once only as far
 * as QuestDB's own `IF NOT EXISTS` goes (the checks and ALTERs are not atomic).
 */
export async function migrate(db: Kysely<Database>, schema: Migration = COLLECTOR_SCHEMA): Promise<void> {
  for (const statement of schema.statements) await sql.raw(statement).execute(db);
  for (const { table, column, type } of schema.addedColumns) {
    const { rows } = await sql<{ n: number }>`SELECT count() AS n FROM table_columns(${sql.lit(table)}) WHERE "column" = ${column}`.execute(
      db,
    );
    if (rows[0]?.n === 0) await sql.raw(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`).execute(db);
  }
  for (const { table, column } of schema.symbolIndexes) {
    const { rows } = await sql<{
      indexed: boolean;
    }>`SELECT indexed FROM table_columns(${sql.lit(table)}) WHERE "column" = ${column}`.execute(db);
    if (rows[0] && !rows[0].indexed) await sql.raw(`ALTER TABLE ${table} ALTER COLUMN ${column} ADD INDEX`).execute(db);
  }
  for (const statement of schema.finalStatements ?? []) await sql.raw(statement).execute(db);
}
