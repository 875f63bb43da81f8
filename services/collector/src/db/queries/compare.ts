import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { DURATION_COLUMNS, durationStats, type DurationColumn, type TimeWindow } from './durations.js';

/** How many values each duration column holds for one queue of one run. */
export type SampleSizes = Record<DurationColumn, number>;

/** Number of values per queue and duration column of one run: the `n` of each percentile's confidence interval. */
export async function sampleSizes(db: Kysely<Database>, runId: string, window: TimeWindow): Promise<Map<string, SampleSizes>> {
  const stats = await Promise.all(DURATION_COLUMNS.map((column) => durationStats(db, column, { runId, window }, [])));
  const out = new Map<string, SampleSizes>();
  DURATION_COLUMNS.forEach((column, i) => {
    for (const [queue, s] of stats[i]!) {
      const sizes = out.get(queue) ?? { latency_ms: 0, wait_ms: 0, run_ms: 0 };
      sizes[column] = s.n;
      out.set(queue, sizes);
    }
  });
  return out;
}

/** One percentile to estimate: the point at quantile `q` and the interval between `qLo` and `qHi` (all 0..1). */
export interface PercentileSpec {
  column: DurationColumn;
  q: number;
  qLo: number;
  qHi: number;
}

/** Nearest-rank values at q, qLo and qHi of one spec, ms; null when the column has no values. */
export interface PercentileInterval {
  value: number | null;
  lo: number | null;
  hi: number | null;
}

/**
 * Point value and confidence bounds of each spec for one queue of one run, ms: the nearest-rank
 * values at `q`, `qLo` and `qHi` from the duration's histogram view (one query per column).
 */
export async function percentileIntervals(
  db: Kysely<Database>,
  where: { runId: string; queue: string; window: TimeWindow },
  specs: readonly PercentileSpec[],
): Promise<PercentileInterval[]> {
  const columns = [...new Set(specs.map((s) => s.column))];
  const byColumn = new Map(
    await Promise.all(
      columns.map(async (column) => {
        const mine = specs.filter((s) => s.column === column);
        const stats = await durationStats(
          db,
          column,
          where,
          mine.flatMap((s) => [s.q, s.qLo, s.qHi]),
        );
        return [column, { mine, values: stats.get(where.queue)?.values ?? [] }] as const;
      }),
    ),
  );
  return specs.map((spec) => {
    const { mine, values } = byColumn.get(spec.column)!;
    const i = mine.indexOf(spec) * 3;
    return { value: values[i] ?? null, lo: values[i + 1] ?? null, hi: values[i + 2] ?? null };
  });
}
