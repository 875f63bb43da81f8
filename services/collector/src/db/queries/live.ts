import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/** Window of a live query: [from, to) as ISO strings, optionally one run. */
export interface LiveWindow {
  from: string;
  to: string;
  runId?: string | undefined;
}

export interface QueueSecondRow {
  ts: Date;
  queue: string;
  /** Jobs finished (completed + failed) in the second. */
  throughput: number;
  /** End-to-end latency percentiles of jobs finished in the second, ms. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Message delay p95 of first attempts started in the second, ms. */
  wait_p95: number | null;
  retries: number;
  failures: number;
}

const runFilter = (w: LiveWindow) => (w.runId ? sql`AND run_id = ${w.runId}` : sql``);

/**
 * Per second and queue: finished jobs, latency p50/p95/p99 (ms), wait p95 (ms), retries and
 * failures (counts). The tick reads the raw rows of its few seconds, not the per-second views: an
 * interval scan of the newest partition, so its cost does not grow with history, and it sees rows as
 * soon as they are applied instead of after the views' refresh.
 */
export async function queueSeconds(db: Kysely<Database>, w: LiveWindow): Promise<QueueSecondRow[]> {
  const { rows } = await sql<QueueSecondRow>`
    SELECT ts, queue,
           sum(CASE WHEN event IN ('completed', 'failed') THEN 1 ELSE 0 END) AS throughput,
           approx_percentile(latency_ms, 0.5, 3) AS p50,
           approx_percentile(latency_ms, 0.95, 3) AS p95,
           approx_percentile(latency_ms, 0.99, 3) AS p99,
           approx_percentile(wait_ms, 0.95, 3) AS wait_p95,
           sum(CASE WHEN event = 'retried' THEN 1 ELSE 0 END) AS retries,
           sum(CASE WHEN event = 'failed' THEN 1 ELSE 0 END) AS failures
    FROM job_events
    WHERE ts >= ${w.from} AND ts < ${w.to} ${runFilter(w)}
    SAMPLE BY 1s ALIGN TO CALENDAR`.execute(db);
  return rows;
}

/** Per second and worker (`host:pid`): jobs it finished. */
export async function workerSeconds(db: Kysely<Database>, w: LiveWindow): Promise<{ ts: Date; worker: string; finished: number }[]> {
  const { rows } = await sql<{ ts: Date; worker: string; finished: number }>`
    SELECT ts, worker, count() AS finished
    FROM job_events
    WHERE ts >= ${w.from} AND ts < ${w.to} AND event IN ('completed', 'failed') ${runFilter(w)}
    SAMPLE BY 1s ALIGN TO CALENDAR`.execute(db);
  return rows;
}

/** Sampled waiting jobs per queue per second (the collector's samplers), for one namespace. */
export async function depthSeconds(
  db: Kysely<Database>,
  w: LiveWindow & { namespace: string },
): Promise<{ ts: Date; queue: string; waiting: number }[]> {
  const { rows } = await sql<{ ts: Date; queue: string; waiting: number }>`
    SELECT ts, queue, waiting FROM queue_depth
    WHERE namespace = ${w.namespace} AND ts >= ${w.from} AND ts < ${w.to}`.execute(db);
  return rows;
}

/** Sampled Redis health per second: ops/s, used memory (bytes), PING round trip (ms). */
export async function redisSeconds(
  db: Kysely<Database>,
  w: LiveWindow & { redis: string },
): Promise<{ ts: Date; ops_per_sec: number; used_memory_bytes: number; ping_ms: number }[]> {
  const { rows } = await sql<{ ts: Date; ops_per_sec: number; used_memory_bytes: number; ping_ms: number }>`
    SELECT ts, ops_per_sec, used_memory_bytes, ping_ms FROM redis_stats
    WHERE redis = ${w.redis} AND ts >= ${w.from} AND ts < ${w.to}`.execute(db);
  return rows;
}

/** Runs that started or ended in the window, and the newest running run with its latest VUs. */
export async function runActivity(
  db: Kysely<Database>,
  w: LiveWindow,
): Promise<{
  markers: { ts: Date; id: string; name: string; ended_at: Date | null }[];
  active: { ts: Date; id: string; name: string; scenario: string | null; engine: string | null; vus: number | null } | null;
}> {
  const [markers, active] = await Promise.all([
    sql<{ ts: Date; id: string; name: string; ended_at: Date | null }>`
      SELECT ts, id, name, ended_at FROM runs
      WHERE (ts >= ${w.from} AND ts < ${w.to}) OR (ended_at >= ${w.from} AND ended_at < ${w.to})`.execute(db),
    sql<{ ts: Date; id: string; name: string; scenario: string | null; engine: string | null; vus: number | null }>`
      SELECT r.ts, r.id, r.name, r.scenario, r.engine, l.vus
      FROM (SELECT ts, id, name, scenario, engine FROM runs WHERE status = 'running' ORDER BY ts DESC LIMIT 1) r
      LEFT JOIN (SELECT run_id, vus FROM load_metrics LATEST ON ts PARTITION BY run_id) l ON l.run_id = r.id`.execute(db),
  ]);
  return { markers: markers.rows, active: active.rows[0] ?? null };
}

/**
 * ts of the newest stored event (of the run, if given), epoch ms; null when none. The raw rows of
 * the tick's window first (fresh, a few seconds to scan); when the window is empty, the newest row
 * of the per-second counts (one row, whatever the history).
 */
export async function newestEventTs(db: Kysely<Database>, w: LiveWindow): Promise<number | null> {
  const { rows } = await sql<{ newest: Date | null }>`
    SELECT max(ts) AS newest FROM job_events WHERE ts >= ${w.from} AND ts < ${w.to} ${runFilter(w)}`.execute(db);
  if (rows[0]?.newest) return rows[0].newest.getTime();
  const older = await sql<{ newest: Date | null }>`
    SELECT last_ts AS newest FROM event_counts_1s ${w.runId ? sql`WHERE run_id = ${w.runId}` : sql``} ORDER BY ts DESC LIMIT 1`.execute(db);
  return older.rows[0]?.newest ? older.rows[0].newest.getTime() : null;
}
