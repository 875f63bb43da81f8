/** The queues the demo producer serves; each has a profile in {@link QUEUE_PROFILES}. */
export const QUEUE_NAMES = ['payment', 'notification', 'webhook'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}

/**
 * How a simulated handler spends its time, in ms.
 * - `fixed`: always `ms`;
 * - `uniform`: between `min` and `max`;
 * - `lognormal`: median `median`, 99th percentile `p99` (a long right tail, like real I/O).
 */
export type LatencyDistribution =
  { kind: 'fixed'; ms: number } | { kind: 'uniform'; min: number; max: number } | { kind: 'lognormal'; median: number; p99: number };

/** Service-level objective of one queue, judged on end-to-end latency of jobs and their error rate. */
export interface SloTarget {
  /** p95 of `latency_ms` must stay below this, ms. */
  p95Ms: number;
  /** p99 of `latency_ms` must stay below this, ms. */
  p99Ms: number;
  /** Share of jobs that end `failed`, 0..1. */
  maxErrorRate: number;
}

/** Everything queuescope needs to know about one queue; the producer, worker and collector read the same table. */
export interface QueueProfile {
  /** Jobs processed at once per worker process. */
  concurrency: number;
  /** BullMQ `attempts`: total tries including the first. */
  attempts: number;
  /** BullMQ backoff between attempts. */
  backoff: { type: 'fixed' | 'exponential'; delayMs: number };
  /** Simulated handler time per attempt. */
  latency: LatencyDistribution;
  /** Probability that one attempt throws, 0..1. */
  failureRate: number;
  slo: SloTarget;
}

/** Seed profiles (DESIGN.md: concurrency payment 5, notification 10, webhook 8); each field is overridable by env. */
export const QUEUE_PROFILES: Readonly<Record<QueueName, QueueProfile>> = Object.freeze({
  payment: {
    concurrency: 5,
    attempts: 3,
    backoff: { type: 'exponential', delayMs: 50 },
    latency: { kind: 'lognormal', median: 40, p99: 200 },
    failureRate: 0.02,
    slo: { p95Ms: 500, p99Ms: 1000, maxErrorRate: 0.05 },
  },
  notification: {
    concurrency: 10,
    attempts: 5,
    backoff: { type: 'fixed', delayMs: 20 },
    latency: { kind: 'lognormal', median: 15, p99: 80 },
    failureRate: 0.05,
    slo: { p95Ms: 300, p99Ms: 500, maxErrorRate: 0.1 },
  },
  webhook: {
    concurrency: 8,
    attempts: 4,
    backoff: { type: 'exponential', delayMs: 100 },
    latency: { kind: 'lognormal', median: 80, p99: 400 },
    failureRate: 0.08,
    slo: { p95Ms: 1000, p99Ms: 2000, maxErrorRate: 0.05 },
  },
});
