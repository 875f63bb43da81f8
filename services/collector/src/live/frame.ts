/**
 * The live frame: what `GET /api/v1/live` sends, columnar and aligned on one ts axis (one entry
 * per second). Numbers come from SQL; building the arrays is placement only (a second with no
 * finished jobs has throughput 0 and no percentile: null). web/src/api/live-types.ts mirrors it.
 */
export interface LiveQueueSeries {
  throughput: (number | null)[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  waitP95: (number | null)[];
  retries: (number | null)[];
  failures: (number | null)[];
  depth: (number | null)[];
}

export interface LiveFrame {
  /** Start of each second, epoch ms, ascending. */
  ts: number[];
  queues: Record<string, LiveQueueSeries>;
  /** Jobs finished per second by each worker process (`host:pid`). */
  workers: Record<string, (number | null)[]>;
  redis: { opsPerSec: (number | null)[]; usedMemoryBytes: (number | null)[]; pingMs: (number | null)[] };
  activeRun: { id: string; name: string; scenario: string | null; engine: string | null; startedAt: string; vus: number | null } | null;
  runMarkers: { ts: number; runId: string; kind: 'start' | 'end'; name: string }[];
  /** SLO targets per queue, for the lines on the latency charts. */
  slo: Record<string, { p95Ms: number; p99Ms: number; maxErrorRate: number }>;
  /** ts of the newest stored event, epoch ms. */
  newestEventTs: number | null;
}

/** An axis of whole seconds in [fromMs, toMs). */
export function secondsAxis(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(fromMs / 1000) * 1000; t < toMs; t += 1000) out.push(t);
  return out;
}

/** Place `rows` on `axis`: `series[key(row)][i]` = value(row) where axis[i] = row's second. Missing points stay `empty`. */
export function place<R extends { ts: Date }>(
  axis: number[],
  rows: readonly R[],
  key: (row: R) => string,
  fields: Record<string, (row: R) => number | null>,
  empty: Record<string, number | null>,
): Record<string, Record<string, (number | null)[]>> {
  const index = new Map(axis.map((t, i) => [t, i]));
  const out: Record<string, Record<string, (number | null)[]>> = {};
  for (const row of rows) {
    const i = index.get(Math.floor(row.ts.getTime() / 1000) * 1000);
    if (i === undefined) continue;
    const k = key(row);
    out[k] ??= Object.fromEntries(Object.keys(fields).map((f) => [f, axis.map(() => empty[f] ?? null)]));
    for (const [f, get] of Object.entries(fields)) {
      const v = get(row);
      out[k]![f]![i] = v === null || Number.isNaN(v) ? null : v;
    }
  }
  return out;
}
