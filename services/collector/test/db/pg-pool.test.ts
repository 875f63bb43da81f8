import { DependencyUnavailableError } from '@queuescope/service-kit';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { freePort } from '../../../../test/support/processes.js';
import type { Database } from '../../src/db/database.js';
import { questdbPool, StatementTimeoutError } from '../../src/db/pg-pool.js';

const { config } = testConfig();

/** Seconds of CPU in QuestDB: 10^10 products, far longer than any timeout here (QuestDB's own query.timeout is 60 s). */
const SLOW_SQL = 'SELECT sum(a.x * b.x) AS s FROM long_sequence(100000) a CROSS JOIN long_sequence(100000) b';
const STATEMENT_TIMEOUT_MS = 1000;

/** `err`, once `work` rejects (fails the test when it resolves). */
async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

describe('the collector pg pool on QuestDB (db/pg-pool.ts)', () => {
  const pools: pg.Pool[] = [];
  const dbs: Kysely<Database>[] = [];
  /** A kysely over a fresh pg pool of `max` connections with the collector's wrapper. */
  const open = (opts: { max?: number; acquireMs?: number; port?: number; closedReason?: () => string | undefined } = {}) => {
    const pool = new pg.Pool({
      ...config.questdb.pg,
      ...(opts.port ? { port: opts.port } : {}),
      max: opts.max ?? 2,
      connectionTimeoutMillis: opts.acquireMs ?? 2000,
    });
    pool.on('error', () => undefined);
    pools.push(pool);
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: questdbPool(pool, {
          statementTimeoutMs: STATEMENT_TIMEOUT_MS,
          ...(opts.closedReason ? { closedReason: opts.closedReason } : {}),
        }),
        cursor: Cursor,
      }),
    });
    dbs.push(db);
    return { db, pool };
  };
  let observer: pg.Client;

  beforeAll(async () => {
    observer = new pg.Client(config.questdb.pg);
    await observer.connect();
  });
  afterAll(async () => {
    for (const db of dbs) await db.destroy().catch(() => undefined);
    for (const pool of pools) await pool.end().catch(() => undefined);
    await observer.end();
  });

  it('cuts a slow statement at the statement timeout, stops it in QuestDB, and keeps serving other queries', async () => {
    const { db, pool } = open({ max: 2 });
    const started = Date.now();
    const err = await rejection(sql.raw(SLOW_SQL).execute(db));
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).message).toBe('questdb unavailable: query timed out');
    expect((err as DependencyUnavailableError).cause).toBeInstanceOf(StatementTimeoutError);
    expect(took).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 50);
    expect(took).toBeLessThan(STATEMENT_TIMEOUT_MS + 1500);
    // The busy connection was destroyed, not handed back to the pool.
    expect(pool.totalCount).toBe(0);

    // QuestDB noticed the closed socket and stopped the query: no SQL of ours still runs, and a
    // fresh connection answers at once (with one PG worker thread, a running query would hold it).
    const probe = Date.now();
    const activity = await observer.query<{ query: string }>(
      `SELECT query FROM query_activity() WHERE query LIKE '%long_sequence(100000) a%'`,
    );
    expect(activity.rows.filter((r) => !r.query.includes('query_activity'))).toEqual([]);
    expect(Date.now() - probe).toBeLessThan(500);

    // The pool goes on: more queries than connections, one after another and side by side.
    for (let i = 0; i < 5; i++) expect((await sql<{ x: number }>`SELECT ${i}::int AS x`.execute(db)).rows).toEqual([{ x: i }]);
    const together = await Promise.all([1, 2, 3, 4].map((i) => sql<{ x: number }>`SELECT ${i}::int AS x`.execute(db)));
    expect(together.map((r) => r.rows[0]!.x)).toEqual([1, 2, 3, 4]);
  });

  it('answers 503 after the acquire timeout when every connection is busy', async () => {
    const { db } = open({ max: 1, acquireMs: 200 });
    const holder = rejection(sql.raw(SLOW_SQL).execute(db));
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const err = await rejection(sql`SELECT 1 AS x`.execute(db));
    expect(Date.now() - started).toBeLessThan(STATEMENT_TIMEOUT_MS - 300);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect((err as Error).message).toBe('questdb unavailable: no connection in time');
    expect(await holder).toBeInstanceOf(DependencyUnavailableError);
    // Once the slow one was cut, the single connection serves again.
    expect((await sql<{ x: number }>`SELECT 7::int AS x`.execute(db)).rows).toEqual([{ x: 7 }]);
  });

  it('times out a stuck cursor read too, and frees its connection', async () => {
    const { db, pool } = open({ max: 1 });
    const stream = db
      .selectFrom(sql.raw<{ s: number }>(`(${SLOW_SQL})`).as('t'))
      .selectAll()
      .stream(10);
    const started = Date.now();
    const err = await rejection(stream.next());
    expect(Date.now() - started).toBeLessThan(STATEMENT_TIMEOUT_MS + 1500);
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(pool.totalCount).toBe(0);
    expect((await sql<{ x: number }>`SELECT 8::int AS x`.execute(db)).rows).toEqual([{ x: 8 }]);
  });

  it('names a refused connection without the address, and leaves SQL errors as they are (a bug, not an outage)', async () => {
    const down = open({ port: await freePort() });
    const refused = await rejection(sql`SELECT 1`.execute(down.db));
    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expect((refused as Error).message).toBe('questdb unavailable: connection refused');
    expect((refused as DependencyUnavailableError).detail).toMatch(/ECONNREFUSED/);

    const { db } = open();
    const bad = await rejection(sql`SELECT nope FROM no_such_table_here`.execute(db));
    expect(bad).not.toBeInstanceOf(DependencyUnavailableError);
    expect((bad as Error).message).toMatch(/no_such_table_here|does not exist/);
  });

  it('hands out no connection while closed, naming why', async () => {
    let reason: string | undefined = 'schema not migrated yet';
    const { db, pool } = open({ closedReason: () => reason });
    const err = await rejection(sql`SELECT 1`.execute(db));
    expect((err as Error).message).toBe('questdb unavailable: schema not migrated yet');
    expect(pool.totalCount).toBe(0);
    reason = undefined;
    expect((await sql<{ x: number }>`SELECT 1::int AS x`.execute(db)).rows).toEqual([{ x: 1 }]);
  });
});
