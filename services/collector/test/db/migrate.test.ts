import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { pollQuery } from '../../../../test/support/questdb.js';
import { migrate, type Migration } from '../../src/db/migrate.js';
import { ADDED_COLUMNS, SYMBOL_INDEXES } from '../../src/db/schema.js';
import { useCollector } from '../helper.js';

const { config } = testConfig();

describe('migrate', () => {
  const ctx = useCollector(config);
  const columns = async (table: string) =>
    (
      await ctx.db.query<{ column: string; type: string; indexed: boolean }>(
        `SELECT "column", "type", indexed FROM table_columns('${table}')`,
      )
    ).rows;

  it('at collector start, leaves every added column and symbol index of the schema in place', async () => {
    for (const { table, column, type } of ADDED_COLUMNS)
      expect(await columns(table)).toContainEqual(expect.objectContaining({ column, type }));
    for (const { table, column } of SYMBOL_INDEXES)
      expect(await columns(table)).toContainEqual(expect.objectContaining({ column, indexed: true }));
  });

  it('brings a table made by an older version up to date, and a second run changes nothing', async () => {
    const table = `migrate_test_${randomUUID().replace(/-/g, '')}`;
    const schema: Migration = {
      statements: [`CREATE TABLE IF NOT EXISTS ${table} (ts TIMESTAMP, tag SYMBOL) TIMESTAMP(ts) PARTITION BY DAY WAL`],
      addedColumns: [{ table, column: 'note', type: 'VARCHAR' }],
      symbolIndexes: [{ table, column: 'tag' }],
    };
    try {
      await ctx.db.query(schema.statements[0]!);
      expect(await columns(table)).toEqual([
        { column: 'ts', type: 'TIMESTAMP', indexed: false },
        { column: 'tag', type: 'SYMBOL', indexed: false },
      ]);
      await migrate(ctx.app.db, schema);
      // ALTERs of a WAL table take effect once QuestDB applied them.
      const expected = [
        { column: 'ts', type: 'TIMESTAMP', indexed: false },
        { column: 'tag', type: 'SYMBOL', indexed: true },
        { column: 'note', type: 'VARCHAR', indexed: false },
      ];
      const sql = `SELECT "column", "type", indexed FROM table_columns('${table}')`;
      await pollQuery(ctx.db, sql, [], (rows) => JSON.stringify(rows) === JSON.stringify(expected), 10_000);
      await migrate(ctx.app.db, schema);
      await new Promise((r) => setTimeout(r, 500));
      expect(await columns(table)).toEqual(expected);
    } finally {
      await ctx.db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  });
});
