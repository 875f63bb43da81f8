/** The frame `GET /api/v1/live` sends (services/collector/src/live/frame.ts), columnar, one entry per second. */
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
  ts: number[];
  queues: Record<string, LiveQueueSeries>;
  workers: Record<string, (number | null)[]>;
  redis: { opsPerSec: (number | null)[]; usedMemoryBytes: (number | null)[]; pingMs: (number | null)[] };
  activeRun: { id: string; name: string; scenario: string | null; engine: string | null; startedAt: string; vus: number | null } | null;
  runMarkers: { ts: number; runId: string; kind: 'start' | 'end'; name: string }[];
  slo: Record<string, { p95Ms: number; p99Ms: number; maxErrorRate: number }>;
  newestEventTs: number | null;
}

export type LiveMessage = { type: 'backfill' | 'tick'; frame: LiveFrame } | { type: 'error'; message: string };
