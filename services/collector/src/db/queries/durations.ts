import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import { BUCKET_VALUE } from '../histogram.js';

/** The duration columns of `job_events`, all ms, each with its histogram view (`<name>_hist_1s`). */
export const DURATION_COLUMNS = ['latency_ms', 'wait_ms', 'run_ms'] as const;
export type DurationColumn = (typeof DURATION_COLUMNS)[number];

const VIEWS: Record<DurationColumn, string> = { latency_ms: 'latency_hist_1s', wait_ms: 'wait_hist_1s', run_ms: 'run_hist_1s' };

/** A time range that only prunes partitions (ISO-8601 UTC); the run id decides which rows count. */
export interface TimeWindow {
  from: string;
  to: string;
}

/** One duration of one queue: how many values, their sum and largest (ms), and the value at each asked quantile (ms). */
export interface DurationStats {
  n: number;
  /** Sum of the values, ms. */
  total: number;
  max: number | null;
  /** Nearest-rank value at each quantile, in the order asked, ms; within 0.5 % of the exact value (db/histogram.ts). */
  values: (number | null)[];
}

/** NaN (QuestDB's "no value" for an aggregate over no rows) → null. */
const num = (v: number | null | undefined): number | null => (v === null || v === undefined || Number.isNaN(v) ? null : Number(v));

/**
 * Count, sum, max and nearest-rank quantiles of one duration per queue of one run, ms, read from
 * its per-second histogram view: the buckets of the window are merged, a running count over the
 * buckets (a window function) finds the bucket holding rank ⌈q·n⌉, and that bucket's value is the
 * answer. The cost follows seconds × buckets, not events. `quantiles` are in [0, 1].
 */
export async function durationStats(
  db: Kysely<Database>,
  column: DurationColumn,
  where: { runId: string; window: TimeWindow; queue?: string },
  quantiles: readonly number[],
): Promise<Map<string, DurationStats>> {
  const byRun = await durationStatsOfRuns(db, column, { ...where, runIds: [where.runId] }, quantiles);
  return byRun.get(where.runId) ?? new Map();
}

/**
 * {@link durationStats} of several runs in one SQL statement (the runs list): by run id, then by
 * queue, ms. `window` only prunes partitions: it must cover every run's events.
 */
export async function durationStatsOfRuns(
  db: Kysely<Database>,
  column: DurationColumn,
  where: { runIds: readonly string[]; window: TimeWindow; queue?: string },
  quantiles: readonly number[],
): Promise<Map<string, Map<string, DurationStats>>> {
  for (const q of quantiles) if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is not in [0, 1]`);
  const out = new Map<string, Map<string, DurationStats>>();
  if (where.runIds.length === 0) return out;
  const view = sql.table(VIEWS[column]);
  const picks = quantiles.map(
    (q, i) => sql`min(CASE WHEN cum >= greatest(1, ceil(${sql.lit(q)} * cnt)) THEN v END) AS ${sql.ref(`q${i}`)}`,
  );
  const byQueue = where.queue === undefined ? sql`` : sql`AND queue = ${where.queue}`;
  const { rows } = await sql<Record<string, number | string | null>>`
    SELECT run_id, queue, max(cnt) AS n, sum(total) AS total, max(hi) AS max ${picks.length ? sql`, ${sql.join(picks)}` : sql``}
    FROM (
      SELECT run_id, queue, b, hi, total, ${BUCKET_VALUE} AS v,
             sum(n) OVER (PARTITION BY run_id, queue ORDER BY b ROWS UNBOUNDED PRECEDING) AS cum,
             sum(n) OVER (PARTITION BY run_id, queue) AS cnt
      FROM (
        SELECT run_id, queue, b, sum(n) AS n, min(lo) AS lo, max(hi) AS hi, sum(total) AS total
        FROM ${view}
        WHERE run_id IN (${sql.join(where.runIds)}) ${byQueue} AND ts >= ${where.window.from} AND ts <= ${where.window.to}
        GROUP BY run_id, queue, b
      )
    )
    GROUP BY run_id, queue`.execute(db);
  for (const r of rows) {
    const runId = String(r.run_id);
    if (!out.has(runId)) out.set(runId, new Map());
    out.get(runId)!.set(String(r.queue), {
      n: Number(r.n ?? 0),
      total: Number(r.total ?? 0),
      max: num(r.max as number | null),
      values: quantiles.map((_, i) => num(r[`q${i}`] as number | null)),
    });
  }
  return out;
}
