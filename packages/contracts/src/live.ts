/**
 * The live stream's frame (`GET /api/v1/live`): what the collector sends and the dashboard draws.
 * The shape is defined once, as TypeBox, in rest/live-frame.ts; this module (the dashboard's one value
 * import from contracts) imports only its types, so the browser bundle carries no schema code.
 */
import type { LiveFrame, LiveQueueSeries } from './rest/live-frame.js';

export type { LiveFrame, LiveMessage, LiveQueueSeries } from './rest/live-frame.js';

export const LIVE_QUEUE_FIELDS = [
  'throughput',
  'p50',
  'p95',
  'p99',
  'waitP95',
  'retries',
  'failures',
  'depth',
] as const satisfies readonly (keyof LiveQueueSeries)[];

/**
 * `base` with `delta`'s seconds replacing or appending its own, dropping seconds before `keepFrom`
 * (epoch ms). Placement only: no value is computed. The collector keeps its backfill with it and
 * the dashboard merges ticks with it, so both hold the same window the same way.
 */
export function mergeFrames(base: LiveFrame, delta: LiveFrame, keepFrom: number): LiveFrame {
  const ts = [...new Set([...base.ts, ...delta.ts])].filter((t) => t >= keepFrom).sort((a, b) => a - b);
  const bi = new Map(base.ts.map((t, i) => [t, i]));
  const di = new Map(delta.ts.map((t, i) => [t, i]));
  const pick = (b: (number | null)[] | undefined, d: (number | null)[] | undefined): (number | null)[] =>
    ts.map((t) => (di.has(t) ? (d?.[di.get(t)!] ?? null) : bi.has(t) ? (b?.[bi.get(t)!] ?? null) : null));
  const queues: Record<string, LiveQueueSeries> = {};
  for (const q of new Set([...Object.keys(base.queues), ...Object.keys(delta.queues)])) {
    queues[q] = Object.fromEntries(
      LIVE_QUEUE_FIELDS.map((f) => [f, pick(base.queues[q]?.[f], delta.queues[q]?.[f])]),
    ) as unknown as LiveQueueSeries;
  }
  const workers: Record<string, (number | null)[]> = {};
  for (const w of new Set([...Object.keys(base.workers), ...Object.keys(delta.workers)]))
    workers[w] = pick(base.workers[w], delta.workers[w]);
  const markers = new Map(
    [...base.runMarkers, ...delta.runMarkers].filter((m) => m.ts >= keepFrom).map((m) => [`${m.runId}/${m.kind}`, m]),
  );
  return {
    ts,
    queues,
    workers,
    redis: {
      opsPerSec: pick(base.redis.opsPerSec, delta.redis.opsPerSec),
      usedMemoryBytes: pick(base.redis.usedMemoryBytes, delta.redis.usedMemoryBytes),
      pingMs: pick(base.redis.pingMs, delta.redis.pingMs),
    },
    activeRun: delta.activeRun,
    runMarkers: [...markers.values()].sort((a, b) => a.ts - b.ts),
    slo: delta.slo,
    newestEventTs: delta.newestEventTs ?? base.newestEventTs,
  };
}
