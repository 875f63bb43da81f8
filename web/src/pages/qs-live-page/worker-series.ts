/**
 * Which worker processes the Live page's worker chart draws. The live frame keeps a key for every
 * process seen since the page opened (dead ones included, with zeros or nulls); the chart shows only
 * processes that finished a job in the visible window; beyond `max` of them, the `max` busiest by
 * jobs finished in the window, then one "+N others" line for the rest.
 *
 * This ranks and folds the frame's per-second counts for the legend, the one place the dashboard
 * adds numbers: the live frame carries no per-worker total or "others" column to draw instead.
 */

/** One line of the worker chart: a process (host:pid) or the "+N others" group. */
export interface WorkerLine {
  label: string;
  /** Jobs finished per second, aligned with the frame's `ts`. */
  values: (number | null)[];
  /** True for the "+N others" line. */
  others: boolean;
}

/** Legend entries shown before the rest is grouped into "+N others". */
export const MAX_WORKER_LINES = 10;

/** Jobs `values` finished in the window (nulls are seconds without a row). */
function finished(values: (number | null)[]): number {
  let n = 0;
  for (const v of values) n += v ?? 0;
  return n;
}

/**
 * The chart's lines: processes with at least one finished job in `workers`, sorted by id (so a
 * colour stays with its process); with more than `max` of them, the `max` busiest plus one
 * "+N others" line holding the per-second total of the rest (null where none of them had a row).
 */
export function workerLines(workers: Record<string, (number | null)[]>, max = MAX_WORKER_LINES): WorkerLine[] {
  const active = Object.entries(workers)
    .map(([label, values]) => ({ label, values, total: finished(values) }))
    .filter((w) => w.total > 0);
  if (active.length <= max)
    return active.map(({ label, values }) => ({ label, values, others: false })).sort((a, b) => a.label.localeCompare(b.label));
  active.sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
  const shown = active
    .slice(0, max)
    .map(({ label, values }) => ({ label, values, others: false }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const rest = active.slice(max);
  const length = Math.max(...rest.map((w) => w.values.length));
  const values = Array.from({ length }, (_, i) => {
    let sum: number | null = null;
    for (const w of rest) {
      const v = w.values[i];
      if (v !== null && v !== undefined) sum = (sum ?? 0) + v;
    }
    return sum;
  });
  return [...shown, { label: `+${rest.length} others`, values, others: true }];
}
