import type { SloTarget } from './queues.js';

/**
 * Shapes of the collector's REST API responses that other processes read (dashboard, load runner).
 * Numbers in them come from SQL; units are in each field's comment (ms, jobs/s, 0..1).
 */

/** A load-test run as the API returns it. Times are ISO-8601 UTC. */
export interface Run {
  id: string;
  name: string;
  scenario: string | null;
  engine: string | null;
  status: 'running' | 'finished' | 'aborted';
  config: Record<string, unknown>;
  startedAt: string;
  endedAt: string | null;
  /** The load generator's end-of-run numbers (builtin engine result or k6 summary), once posted. */
  clientSummary: ClientSummary | null;
}

/** Whole-run HTTP numbers as the load generator measured them; latencies in ms. */
export interface ClientSummary {
  source: 'builtin' | 'k6';
  requests: number;
  accepted: number | null;
  errors: number;
  timeouts: number | null;
  reqPerSec: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** k6 threshold results by expression, when k6 ran. */
  thresholds?: Record<string, boolean>;
}

/** Percentiles of one duration, ms; null when the run has no such value. */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Everything the summary says about one queue of one run, computed by one SQL scan. */
export interface QueueStats {
  queue: string;
  /** Accepted jobs (`added` events). */
  jobs: number;
  completed: number;
  failed: number;
  /** Attempts started (`active` events). */
  attempts: number;
  retries: number;
  jobsRetried: number;
  stalled: number;
  /** Finished jobs (completed + failed) per second over the run's events of this queue. */
  throughput: number | null;
  /** Accepted jobs per second between the first and the last `added`. */
  arrivalRate: number | null;
  /** Mean processing time of one attempt, ms. */
  meanRunMs: number | null;
  /** End to end, finished − enqueued, ms (`completed` and `failed`). */
  latency: Percentiles;
  /** Message delay of first attempts, started − enqueued, ms. */
  wait: Percentiles;
  /** Processing time per attempt, ms (terminal events). */
  run: Percentiles;
  /** Share of retries per started attempt, 0..1. */
  retryRate: number | null;
  /** Share of finished jobs that failed for good, 0..1. */
  failureRate: number | null;
  firstEventAt: string | null;
  lastEventAt: string | null;
}

/** Client-side totals of a run from `load_metrics`: counts, peak VUs, mean req/s over the seconds with load, worst-second p95/p99 (ms). */
export interface LoadTotals {
  source: string;
  seconds: number;
  requests: number;
  accepted: number;
  errors: number;
  timeouts: number;
  peakVus: number;
  reqPerSec: number | null;
  worstSecondP95Ms: number | null;
  worstSecondP99Ms: number | null;
}

export type Verdict = 'pass' | 'fail' | 'no-data';

/** One SLO check: `actual` must stay below `target`. */
export interface SloCheck {
  metric: 'latency_p95_ms' | 'latency_p99_ms' | 'error_rate';
  target: number;
  actual: number | null;
  pass: boolean | null;
}

export interface QueueSummary extends QueueStats {
  /** Highest sampled depth during the run (counts); null before the samplers saw the queue. */
  peakDepth: { waiting: number; delayed: number; active: number } | null;
  slo: { target: SloTarget | null; verdict: Verdict; checks: SloCheck[] };
  /**
   * Entries of this queue's events stream that BullMQ trimmed before any collector read them while
   * the run lasted (`capture_gaps`): events missing from these numbers. 0 is the normal case.
   */
  lostEvents: number;
}

export interface RunSummary {
  run: Run;
  verdict: Verdict;
  /** Accepted jobs over all queues. */
  jobs: number;
  /** Events lost to trimming over all queues of the run (see {@link QueueSummary.lostEvents}). */
  lostEvents: number;
  queues: QueueSummary[];
  /** The client side next to the queue side: per-second totals from `load_metrics`, and the generator's own whole-run numbers. */
  client: { perSecond: LoadTotals[]; summary: Run['clientSummary'] };
}

/** `GET /api/v1/ingest/status`: one captured events stream, as Redis and this collector see it now. */
export interface StreamStatus {
  streamKey: string;
  /** Queue name; '' for the ingest stream of `POST /api/v1/events`. */
  queue: string;
  kind: 'bullmq' | 'rows';
  /** Whether the answering collector owns the stream now (one collector reads a stream at a time). */
  owned: boolean;
  /** The collector that owns it (`host:pid`), or null. */
  owner: string | null;
  /** Entries in the stream (BullMQ keeps about `maxLenEvents`). */
  length: number;
  /** Entries not yet read by any collector. */
  unread: number;
  /** Entries read but not yet stored and acknowledged. */
  pending: number;
  /** Age of the oldest entry not yet stored, ms; 0 when everything is stored. */
  lagMs: number;
  /** Entries BullMQ trimmed before any collector read them (every collector, since the stream began). */
  lostEvents: number;
  /** BullMQ's `opts.maxLenEvents` of the queue; null for the ingest stream or when unknown. */
  maxLenEvents: number | null;
  /** Entries per second read from the stream by this collector, smoothed over ~10 s. */
  entriesPerSec: number;
  /** Counters of this collector process. */
  entriesRead: number;
  eventsWritten: number;
  entriesReclaimed: number;
  malformedEntries: number;
  /** Jobs between their first and last event, as far as the owner knows. */
  openJobs: number;
  /** ts (epoch µs) of the newest event this process wrote, 0 before the first. */
  lastEventTs: number;
  /** When this process last acknowledged a batch, epoch ms, 0 before the first. */
  lastWriteAt: number;
  /** Why this stream may lose events, when it may (e.g. `maxLenEvents` too small for the rate). */
  warnings: string[];
}

/** `GET /api/v1/ingest/status`. */
export interface IngestStatus {
  streams: StreamStatus[];
  totals: { unread: number; pending: number; eventsWritten: number; lostEvents: number; lagMs: number };
  /** The answering collector's capture loop. */
  capture: { commits: number; writeFailures: number; deadLetters: number; lastRoundMs: number };
}
