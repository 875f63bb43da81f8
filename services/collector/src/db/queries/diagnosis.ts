import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import type { TimeWindow } from './compare.js';

/**
 * Distinct worker processes (`host:pid`) that started attempts, per queue of one run
 * (`count_distinct(worker)` over the per-minute `workers_1m` view of its `active` events).
 */
export async function workersPerQueue(db: Kysely<Database>, runId: string, window: TimeWindow): Promise<Map<string, number>> {
  const { rows } = await sql<{ queue: string; workers: number }>`
    SELECT queue, count_distinct(worker) AS workers
    FROM workers_1m
    WHERE run_id = ${runId} AND ts >= ${new Date(Math.floor(Date.parse(window.from) / 60_000) * 60_000).toISOString()} AND ts <= ${window.to}
    GROUP BY queue`.execute(db);
  return new Map(rows.map((r) => [r.queue, r.workers]));
}

/** The last sampled waiting count per queue of a namespace in [from, to] (jobs), with its sample time (ISO). */
export async function latestWaiting(db: Kysely<Database>, q: { namespace: string } & TimeWindow): Promise<Map<string, { waiting: number; at: string }>> {
  const { rows } = await sql<{ queue: string; waiting: number; ts: Date }>`
    SELECT queue, waiting, ts
    FROM queue_depth
    WHERE namespace = ${q.namespace} AND ts >= ${q.from} AND ts <= ${q.to}
    LATEST ON ts PARTITION BY queue`.execute(db);
  return new Map(rows.map((r) => [r.queue, { waiting: r.waiting, at: r.ts.toISOString() }]));
}

/** One failure reason and how many attempts ended with it. */
export interface ErrorCount {
  error: string;
  count: number;
}

/**
 * The `limit` most frequent `error` texts per queue of one run (retried and failed attempts),
 * most frequent first: `count()` grouped by error, ranked by `row_number()` within each queue.
 */
export async function topErrors(db: Kysely<Database>, runId: string, window: TimeWindow, limit = 3): Promise<Map<string, ErrorCount[]>> {
  const { rows } = await sql<{ queue: string; error: string; n: number }>`
    SELECT queue, error, n
    FROM (
      SELECT queue, error, n, row_number() OVER (PARTITION BY queue ORDER BY n DESC, error) AS pos
      FROM (
        SELECT queue, error, count() AS n
        FROM job_events
        WHERE run_id = ${runId} AND error IS NOT NULL AND ts >= ${window.from} AND ts <= ${window.to}
        GROUP BY queue, error
      )
    )
    WHERE pos <= ${limit}
    ORDER BY queue, n DESC, error`.execute(db);
  const out = new Map<string, ErrorCount[]>();
  for (const r of rows) out.set(r.queue, [...(out.get(r.queue) ?? []), { error: r.error, count: r.n }]);
  return out;
}
