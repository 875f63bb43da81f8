import type { Config } from '@queuescope/contracts';
import pg from 'pg';

/** A plain pg client on QuestDB's PGWire for assertions; counts come back as numbers. */
export async function questdbClient(config: Config): Promise<pg.Client> {
  const client = new pg.Client({
    ...config.questdb.pg,
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
    } as pg.CustomTypesConfig,
  });
  await client.connect();
  return client;
}

/**
 * Run `sql` until `done(rows)` holds or `timeoutMs` passes. Rows become visible only after
 * QuestDB applied the WAL, so assertions poll; the failure message names the SQL and the last rows.
 */
export async function pollQuery<R extends Record<string, unknown>>(
  client: pg.Client,
  sql: string,
  params: unknown[],
  done: (rows: R[]) => boolean,
  timeoutMs = 30_000,
): Promise<R[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await client.query<R>(sql, params)).rows;
    if (done(rows)) return rows;
    if (Date.now() > deadline) {
      throw new Error(
        `condition not met within ${timeoutMs} ms for SQL: ${sql} params=${JSON.stringify(params)} last rows=${JSON.stringify(rows).slice(0, 2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Wait until every materialized view has refreshed over all of its base table's transactions:
 * the per-second views the API reads lag the raw rows by one refresh.
 */
export async function waitForViews(client: pg.Client, timeoutMs = 30_000): Promise<void> {
  await pollQuery<{ behind: number }>(
    client,
    `SELECT count() AS behind FROM materialized_views() WHERE refresh_base_table_txn < base_table_txn`,
    [],
    (r) => r[0]?.behind === 0,
    timeoutMs,
  );
}
