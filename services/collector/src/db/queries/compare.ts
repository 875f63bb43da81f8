import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';

/** The duration columns whose percentiles a comparison tests, all ms. */
export const DURATION_COLUMNS = ['latency_ms', 'wait_ms', 'run_ms'] as const;
export type DurationColumn = (typeof DURATION_COLUMNS)[number];

/** How many values each duration column holds for one queue of one run (non-NULL rows). */
export type SampleSizes = Record<DurationColumn, number>;

/** A time range that only prunes partitions (ISO-8601 UTC); the run id decides which rows count. */
export interface TimeWindow {
  from: string;
  to: string;
}

/**
 * Number of values per queue and duration column of one run (`count(col)` counts non-NULL rows),
 * one scan: the `n` of each percentile's confidence interval.
 */
export async function sampleSizes(db: Kysely<Database>, runId: string, window: TimeWindow): Promise<Map<string, SampleSizes>> {
  const { rows } = await sql<{ queue: string; latency_ms: number; wait_ms: number; run_ms: number }>`
    SELECT queue, count(latency_ms) AS latency_ms, count(wait_ms) AS wait_ms, count(run_ms) AS run_ms
    FROM job_events
    WHERE run_id = ${runId} AND ts >= ${window.from} AND ts <= ${window.to}
    GROUP BY queue`.execute(db);
  return new Map(rows.map((r) => [r.queue, { latency_ms: r.latency_ms, wait_ms: r.wait_ms, run_ms: r.run_ms }]));
}

/** One percentile to estimate: the point at quantile `q` and the interval between `qLo` and `qHi` (all 0..1). */
export interface PercentileSpec {
  column: DurationColumn;
  q: number;
  qLo: number;
  qHi: number;
}

/** `approx_percentile` at q, qLo and qHi of one spec, ms; null when the column has no values. */
export interface PercentileInterval {
  value: number | null;
  lo: number | null;
  hi: number | null;
}

/** NaN (QuestDB's "no value" for an aggregate over no rows) → null. */
const num = (v: number | null | undefined): number | null => (v === null || v === undefined || Number.isNaN(v) ? null : v);

/**
 * Point value and confidence bounds of each spec for one queue of one run, ms, in one scan:
 * `approx_percentile(col, q, 3)` (HdrHistogram, 3 significant digits) at `q`, `qLo` and `qHi`.
 * The quantile levels are bind parameters (runtime constants computed by the caller from `n`);
 * the column names come from {@link DURATION_COLUMNS} only.
 */
export async function percentileIntervals(
  db: Kysely<Database>,
  where: { runId: string; queue: string; window: TimeWindow },
  specs: readonly PercentileSpec[],
): Promise<PercentileInterval[]> {
  if (specs.length === 0) return [];
  const items = specs.flatMap((s, i) => {
    if (!DURATION_COLUMNS.includes(s.column)) throw new Error(`not a duration column: ${s.column}`);
    const col = sql.ref(s.column);
    return [
      sql`approx_percentile(${col}, ${s.q}, 3) AS ${sql.ref(`v${i}`)}`,
      sql`approx_percentile(${col}, ${s.qLo}, 3) AS ${sql.ref(`lo${i}`)}`,
      sql`approx_percentile(${col}, ${s.qHi}, 3) AS ${sql.ref(`hi${i}`)}`,
    ];
  });
  const { rows } = await sql<Record<string, number | null>>`
    SELECT ${sql.join(items)}
    FROM job_events
    WHERE run_id = ${where.runId} AND queue = ${where.queue} AND ts >= ${where.window.from} AND ts <= ${where.window.to}`.execute(db);
  const row = rows[0] ?? {};
  return specs.map((_, i) => ({ value: num(row[`v${i}`]), lo: num(row[`lo${i}`]), hi: num(row[`hi${i}`]) }));
}
