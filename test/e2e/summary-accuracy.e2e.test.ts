/**
 * The run summary's latency, wait and run percentiles per queue equal exact nearest-rank
 * percentiles of durations computed independently here, in SQL, from the stored rows' own
 * timestamps (final terminal ts − `added` ts, …) within 1 % (or 1 ms); its retry counts and
 * failure rates equal BullMQ's records exactly.
 */
import { QUEUE_NAMES, type QueueName } from '@queuescope/contracts';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCounts, openQueues, readTruth, type Truth } from '../support/bullmq-truth.js';
import { uniqueRunId } from '../support/env.js';
import { waitFor } from '../support/processes.js';
import { questdbClient, waitForViews } from '../support/questdb.js';
import { sendJobs, startStack, type TestStack } from '../support/stack.js';

const JOBS_PER_QUEUE = 400;

/** Exact nearest-rank percentile of `values` (the q·n-th smallest). */
function exactPercentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

interface QueueSummary {
  queue: string;
  jobs: number;
  completed: number;
  failed: number;
  retries: number;
  jobsRetried: number;
  failureRate: number;
  latency: Percentiles;
  wait: Percentiles;
  run: Percentiles;
}

interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Durations from the rows' own ts (µs), by queue, joined in SQL and independent of the columns the
 * capture computed: latency = final terminal − added; wait = first active − added; run = each
 * terminal − its attempt's active.
 */
const DURATIONS_SQL = {
  latency: `SELECT t.queue, (cast(t.ts AS long) - cast(a.ts AS long)) / 1000.0 AS ms
    FROM job_events a JOIN job_events t ON a.job_id = t.job_id
    WHERE a.run_id = $1 AND t.run_id = $1 AND a.event = 'added' AND t.event IN ('completed', 'failed')`,
  wait: `SELECT t.queue, (cast(t.ts AS long) - cast(a.ts AS long)) / 1000.0 AS ms
    FROM job_events a JOIN job_events t ON a.job_id = t.job_id
    WHERE a.run_id = $1 AND t.run_id = $1 AND a.event = 'added' AND t.event = 'active' AND t.attempt = 1`,
  run: `SELECT t.queue, (cast(t.ts AS long) - cast(a.ts AS long)) / 1000.0 AS ms
    FROM job_events a JOIN job_events t ON a.job_id = t.job_id AND a.attempt = t.attempt
    WHERE a.run_id = $1 AND t.run_id = $1 AND a.event = 'active' AND t.event IN ('retried', 'completed', 'failed', 'stalled')`,
} as const;

describe('run summary against BullMQ truth', () => {
  const runId = uniqueRunId('summary');
  let stack: TestStack;
  let bull: ReturnType<typeof openQueues>;
  let truth: Truth;
  let summary: { verdict: string; queues: QueueSummary[] };
  const fromRows = new Map<string, number[]>();

  beforeAll(async () => {
    // A known mix: a narrow uniform, a fixed and a long-tailed lognormal latency, and retries.
    stack = await startStack(
      {
        QUEUE_PAYMENT_LATENCY: 'uniform:5:60',
        QUEUE_PAYMENT_FAILURE_RATE: '0.15',
        QUEUE_PAYMENT_BACKOFF: 'fixed:10',
        QUEUE_NOTIFICATION_LATENCY: 'fixed:15',
        QUEUE_NOTIFICATION_FAILURE_RATE: '0.1',
        QUEUE_NOTIFICATION_ATTEMPTS: '2',
        QUEUE_NOTIFICATION_BACKOFF: 'fixed:10',
        QUEUE_WEBHOOK_LATENCY: 'lognormal:20:150',
        QUEUE_WEBHOOK_FAILURE_RATE: '0.25',
        QUEUE_WEBHOOK_BACKOFF: 'fixed:10',
      },
      2,
    );
    bull = openQueues(stack.config);
    const created = await fetch(`${stack.collectorUrl}/api/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: runId, name: 'summary accuracy', scenario: 'test', engine: 'test' }),
    });
    expect(created.status).toBe(201);
    const sent = await sendJobs(
      stack.producerUrl,
      runId,
      { payment: JOBS_PER_QUEUE, notification: JOBS_PER_QUEUE, webhook: JOBS_PER_QUEUE },
      { clients: 20, ratePerSec: 400 },
    );
    expect(sent.statuses.filter((s) => s !== 202)).toEqual([]);
    await waitFor(
      'all jobs finished in BullMQ',
      async () => {
        const states = await Promise.all([...bull.queues.values()].map(finishedCounts));
        return states.every((s) => s.unfinished === 0 && s.finished === JOBS_PER_QUEUE);
      },
      90_000,
    );
    truth = await readTruth(bull.queues, runId);
    const finish = await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/finish`, { method: 'POST' });
    expect(finish.status).toBe(200);
    // The summary is final once QuestDB holds every terminal event of the run.
    const terminals = Object.entries(truth.counts)
      .filter(([k]) => /\/(completed|failed)$/.test(k))
      .reduce((n, [, v]) => n + v, 0);
    await waitFor(
      'summary covers every finished job',
      async () => {
        const res = await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/summary`);
        summary = (await res.json()) as typeof summary;
        return summary.queues.reduce((n, q) => n + q.completed + q.failed, 0) === terminals;
      },
      60_000,
      500,
    );
    const db = await questdbClient(stack.config);
    // Each per-second view refreshes on its own: once all have, the summary is final.
    await waitForViews(db);
    summary = (await (await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/summary`)).json()) as typeof summary;
    for (const [metric, sql] of Object.entries(DURATIONS_SQL)) {
      for (const row of (await db.query<{ queue: string; ms: number }>(sql, [runId])).rows) {
        const key = `${row.queue}/${metric}`;
        fromRows.set(key, [...(fromRows.get(key) ?? []), row.ms]);
      }
    }
    await db.end();
  });

  afterAll(async () => {
    await stack?.stop();
    await bull?.close();
  });

  const byQueue = (q: QueueName): QueueSummary => summary.queues.find((s) => s.queue === q)!;
  it.each(QUEUE_NAMES)("%s: latency, wait and run p50/p95/p99/max equal exact percentiles of the rows' own timestamps", (queue) => {
    const jobs = truth.jobs.get(queue)!.length;
    expect(fromRows.get(`${queue}/latency`)?.length, 'one final row joined to its added row per job').toBe(jobs);
    expect(fromRows.get(`${queue}/wait`)?.length).toBe(jobs);
    for (const metric of ['latency', 'wait', 'run'] as const) {
      const values = fromRows.get(`${queue}/${metric}`)!;
      const api = byQueue(queue)[metric];
      for (const [name, q] of [
        ['p50', 0.5],
        ['p95', 0.95],
        ['p99', 0.99],
      ] as const) {
        const exact = exactPercentile(values, q);
        expect(Math.abs(api[name] - exact), `${queue} ${metric} ${name}: api ${api[name]} exact ${exact}`).toBeLessThanOrEqual(
          Math.max(1, exact * 0.01),
        );
      }
      expect(api.max, `${queue} ${metric} max`).toBeCloseTo(Math.max(...values), 6);
    }
  });

  it.each(QUEUE_NAMES)(
    "%s: end-to-end latency from Redis's clock agrees with BullMQ's own stamps (same machine) within 50 ms at p95",
    (queue) => {
      const bullLatency = (j: Job): number => Math.max(0, j.finishedOn! - j.timestamp);
      const values = truth.jobs.get(queue)!.map(bullLatency);
      expect(Math.abs(byQueue(queue).latency.p95 - exactPercentile(values, 0.95))).toBeLessThan(50);
    },
  );

  it.each(QUEUE_NAMES)('%s: jobs, retries, jobs retried and failure rate equal BullMQ records exactly', (queue) => {
    const jobs = truth.jobs.get(queue)!;
    const s = byQueue(queue);
    const failed = jobs.filter((j) => truth.states.get(j.id!) === 'failed').length;
    expect(s.jobs).toBe(jobs.length);
    expect(s.failed).toBe(failed);
    expect(s.completed).toBe(jobs.length - failed);
    expect(s.retries).toBe(jobs.reduce((n, j) => n + j.attemptsMade - 1, 0));
    expect(s.jobsRetried).toBe(jobs.filter((j) => j.attemptsMade > 1).length);
    expect(s.failureRate).toBeCloseTo(failed / jobs.length, 12);
    expect(s.retries).toBeGreaterThan(0);
  });
});
