/**
 * The collector's REST API as the dashboard uses it: the only module that knows URLs (STYLE R13).
 * Every call takes the AbortSignal of the @lit/task that runs it. Response types mirror the
 * collector's route schemas (services/collector/src/routes/*.ts); shared ones come from contracts.
 */
import type { QueueSummary, Run, RunSummary, SloCheck, Verdict } from '@queuescope/contracts';

export type { ClientSummary, LoadTotals, Percentiles, QueueSummary, Run, RunSummary, SloCheck, Verdict } from '@queuescope/contracts';

/** `GET /api/v1/runs`: newest first. */
export interface RunPage {
  runs: Run[];
  total: number;
  limit: number;
  offset: number;
}

/** One cause of a queue's SLO miss (`GET /runs/:id/diagnosis`). Evidence values are SQL numbers. */
export interface Finding {
  cause: 'waiting' | 'running' | 'retrying' | 'stalling';
  because: string[];
  evidence: Record<string, unknown>;
  recommendation: {
    text: string;
    /** Seconds until the backlog drains; null when it does not drain or is unknown (cause `waiting` only). */
    drainSeconds?: number | null;
    /** Whether the service rate exceeds the arrival rate (cause `waiting` only). */
    drains?: boolean | null;
    backlog?: number | null;
    concurrency?: number | null;
    [key: string]: unknown;
  };
}

export interface QueueDiagnosis {
  /** 1 = the queue that misses its SLO worst. */
  rank: number;
  queue: string;
  healthy: boolean;
  verdict: Verdict;
  /** max over SLO checks of actual/target; ≥ 1 fails. */
  severity: number | null;
  worstCheck: SloCheck['metric'] | null;
  checks: SloCheck[];
  capacity: Record<string, number | string | null>;
  cause: Finding | null;
  secondary: Finding[];
}

export interface RunDiagnosis {
  run: Run;
  verdict: Verdict;
  /** How queues are ranked and causes chosen, in words. */
  rule: string;
  queues: QueueDiagnosis[];
}

export type ChangeVerdict = 'better' | 'worse' | 'unchanged' | 'no-data';

export interface MetricComparison {
  /** e.g. `latency_p95_ms`, `throughput_per_s`, `retry_rate`. */
  metric: string;
  lowerIsBetter: boolean;
  a: number | null;
  b: number | null;
  /** b − a. */
  delta: number | null;
  /** (b − a) / a · 100; null when a is 0 or missing. */
  deltaPct: number | null;
  verdict: ChangeVerdict;
  /** Why the verdict is what it is, in words. */
  reason: string;
}

export interface RunComparison {
  rule: string;
  options: { minEffectPct: number; minSamples: number };
  a: { run: Run; verdict: Verdict };
  b: { run: Run; verdict: Verdict };
  /** Per queue: its summary in each run (null when the run has none) and one comparison per metric, in response order. */
  queues: { queue: string; a: QueueSummary | null; b: QueueSummary | null; metrics: Record<string, MetricComparison> }[];
}

export type TimeseriesMetric = 'throughput' | 'latency' | 'wait' | 'retries' | 'failures' | 'depth' | 'redis' | 'load';

/**
 * `GET /runs/:id/timeseries`: columnar, bucketed by SQL. `ts` are bucket starts (epoch ms);
 * `series` keys are `<queue>.<stat>` (`p50|p95|p99`, `rate`, `waiting|active|delayed|failed`),
 * `redis.<stat>` or `client.<stat>`, each array as long as `ts`.
 */
export interface TimeSeries {
  metric: TimeseriesMetric;
  step: string;
  from: string;
  to: string;
  ts: number[];
  series: Record<string, (number | null)[]>;
}

/** A non-2xx answer; `message` is the collector's (it names the offending field). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function get<T>(path: string, signal: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(res.status, body.code ?? 'HTTP_ERROR', body.message ?? `${res.status} ${res.statusText}`);
  }
  return (await res.json()) as T;
}

const enc = encodeURIComponent;
const runPath = (runId: string): string => `/api/v1/runs/${enc(runId)}`;

/**
 * Bucket widths tried in order: the collector refuses a window with too many buckets at a step
 * (400 naming `querystring/step`), so a long run falls back to the next wider step.
 */
const STEPS = ['1s', '5s', '15s', '1m', '5m', '15m', '1h'] as const;

export const api = {
  runs: (signal: AbortSignal, page: { limit: number; offset: number }) =>
    get<RunPage>(`/api/v1/runs?limit=${page.limit}&offset=${page.offset}`, signal),
  summary: (runId: string, signal: AbortSignal) => get<RunSummary>(`${runPath(runId)}/summary`, signal),
  diagnosis: (runId: string, signal: AbortSignal) => get<RunDiagnosis>(`${runPath(runId)}/diagnosis`, signal),
  compare: (a: string, b: string, signal: AbortSignal) => get<RunComparison>(`/api/v1/compare?a=${enc(a)}&b=${enc(b)}`, signal),

  /** A run's time series at the finest step the collector accepts for its length. */
  async timeseries(runId: string, metric: TimeseriesMetric, signal: AbortSignal): Promise<TimeSeries> {
    for (const step of STEPS) {
      try {
        return await get<TimeSeries>(`${runPath(runId)}/timeseries?metric=${metric}&step=${step}`, signal);
      } catch (err) {
        const tooMany = err instanceof ApiError && err.status === 400 && err.message.startsWith('querystring/step');
        if (!tooMany || step === STEPS.at(-1)) throw err;
      }
    }
    throw new Error('unreachable');
  },

  /** Download links (plain `<a href>`; the browser streams them). */
  summaryUrl: (runId: string) => `${runPath(runId)}/summary`,
  eventsExportUrl: (runId: string, format: 'csv' | 'json') => `${runPath(runId)}/events?format=${format}`,
  docsUrl: () => '/api/docs',
  /** The live stream's WebSocket, on the page's own origin (the collector, or Vite's proxy to it). */
  liveUrl: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/live`,
};
