/**
 * Helpers that lay SQL rows out as a live frame (`LiveFrame`, packages/contracts/src/live.ts):
 * placement only — a second with no finished jobs has throughput 0 and no percentile (null).
 */
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
