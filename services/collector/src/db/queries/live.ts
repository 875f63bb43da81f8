import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import { BUCKET_VALUE } from '../histogram.js';

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

/** Per second and queue, from the per-second views: finished jobs, latency p50/p95/p99 (ms), wait p95 (ms), retries and failures (counts). */
export async function queueSeconds(db: Kysely<Database>, w: LiveWindow): Promise<QueueSecondRow[]> {
  const pick = (view: 'latency_hist_1s' | 'wait_hist_1s', quantiles: Record<string, number>) => sql<Record<string, unknown>>`
    SELECT ts, queue, ${sql.join(Object.entries(quantiles).map(([name, q]) => sql`min(CASE WHEN cum >= greatest(1, ceil(${sql.lit(q)} * cnt)) THEN v END) AS ${sql.ref(name)}`))}
    FROM (
      SELECT ts, queue, ${BUCKET_VALUE} AS v,
             sum(n) OVER (PARTITION BY ts, queue ORDER BY b ROWS UNBOUNDED PRECEDING) AS cum,
             sum(n) OVER (PARTITION BY ts, queue) AS cnt
      FROM (
        SELECT ts, queue, b, sum(n) AS n, min(lo) AS lo, max(hi) AS hi FROM ${sql.table(view)}
        WHERE ts >= ${w.from} AND ts < ${w.to} ${runFilter(w)}
        GROUP BY ts, queue, b
      )
    )
    GROUP BY ts, queue`.execute(db);
  const [counts, latency, wait] = await Promise.all([
    sql<{ ts: Date; queue: string; throughput: number; retries: number; failures: number }>`
      SELECT ts, queue,
             sum(CASE WHEN event IN ('completed', 'failed') THEN n ELSE 0 END) AS throughput,
             sum(CASE WHEN event = 'retried' THEN n ELSE 0 END) AS retries,
             sum(CASE WHEN event = 'failed' THEN n ELSE 0 END) AS failures
      FROM event_counts_1s
      WHERE ts >= ${w.from} AND ts < ${w.to} ${runFilter(w)}
      GROUP BY ts, queue`.execute(db),
    pick('latency_hist_1s', { p50: 0.5, p95: 0.95, p99: 0.99 }),
    pick('wait_hist_1s', { wait_p95: 0.95 }),
  ]);
  const key = (r: { ts: Date; queue: unknown }) => `${r.ts.getTime()}|${String(r.queue)}`;
  const lat = new Map(latency.rows.map((r) => [key(r as { ts: Date; queue: unknown }), r]));
  const wt = new Map(wait.rows.map((r) => [key(r as { ts: Date; queue: unknown }), r]));
  return counts.rows.map((r) => {
    const l = lat.get(key(r));
    const x = wt.get(key(r));
    return {
      ...r,
      p50: (l?.p50 as number | null) ?? null,
      p95: (l?.p95 as number | null) ?? null,
      p99: (l?.p99 as number | null) ?? null,
      wait_p95: (x?.wait_p95 as number | null) ?? null,
    };
  });
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
export async function depthSeconds(db: Kysely<Database>, w: LiveWindow & { namespace: string }): Promise<{ ts: Date; queue: string; waiting: number }[]> {
  const { rows } = await sql<{ ts: Date; queue: string; waiting: number }>`
    SELECT ts, queue, waiting FROM queue_depth
    WHERE namespace = ${w.namespace} AND ts >= ${w.from} AND ts < ${w.to}`.execute(db);
  return rows;
}

/** Sampled Redis health per second: ops/s, used memory (bytes), PING round trip (ms). */
export async function redisSeconds(db: Kysely<Database>, w: LiveWindow & { redis: string }): Promise<{ ts: Date; ops_per_sec: number; used_memory_bytes: number; ping_ms: number }[]> {
  const { rows } = await sql<{ ts: Date; ops_per_sec: number; used_memory_bytes: number; ping_ms: number }>`
    SELECT ts, ops_per_sec, used_memory_bytes, ping_ms FROM redis_stats
    WHERE redis = ${w.redis} AND ts >= ${w.from} AND ts < ${w.to}`.execute(db);
  return rows;
}

/** Runs that started or ended in the window, and the newest running run with its latest VUs. */
export async function runActivity(
  db: Kysely<Database>,
  w: LiveWindow,
): Promise<{ markers: { ts: Date; id: string; name: string; ended_at: Date | null }[]; active: { ts: Date; id: string; name: string; scenario: string | null; engine: string | null; vus: number | null } | null }> {
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

/** ts of the newest stored event (of the run, if given), epoch ms; null when none. One row of the per-second counts. */
export async function newestEventTs(db: Kysely<Database>, runId?: string): Promise<number | null> {
  const { rows } = await sql<{ newest: Date | null }>`
    SELECT last_ts AS newest FROM event_counts_1s ${runId ? sql`WHERE run_id = ${runId}` : sql``} ORDER BY ts DESC LIMIT 1`.execute(db);
  return rows[0]?.newest ? rows[0].newest.getTime() : null;
}
