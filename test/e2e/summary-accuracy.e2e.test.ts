/**
 * Issue 3, "done when" 1 and 2: the run summary's latency percentiles per queue match exact
 * percentiles computed here from BullMQ's own job timestamps (within 1 % or 1 ms), and its retry
 * counts and failure rates equal BullMQ's records exactly.
 */
import { QUEUE_NAMES, type QueueName } from '@queuescope/contracts';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCounts, openQueues, readTruth, type Truth } from '../support/bullmq-truth.js';
import { uniqueRunId } from '../support/env.js';
import { waitFor } from '../support/processes.js';
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
  latency: { p50: number; p95: number; p99: number; max: number };
}

describe('run summary against BullMQ truth', () => {
  const runId = uniqueRunId('summary');
  let stack: TestStack;
  let bull: ReturnType<typeof openQueues>;
  let truth: Truth;
  let summary: { verdict: string; queues: QueueSummary[] };

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
    const sent = await sendJobs(stack.producerUrl, runId, { payment: JOBS_PER_QUEUE, notification: JOBS_PER_QUEUE, webhook: JOBS_PER_QUEUE }, { clients: 20, ratePerSec: 400 });
    expect(sent.statuses.filter((s) => s !== 202)).toEqual([]);
    await waitFor('all jobs finished in BullMQ', async () => {
      const states = await Promise.all([...bull.queues.values()].map(finishedCounts));
      return states.every((s) => s.unfinished === 0 && s.finished === JOBS_PER_QUEUE);
    }, 90_000);
    truth = await readTruth(bull.queues, runId);
    const finish = await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/finish`, { method: 'POST' });
    expect(finish.status).toBe(200);
    // The summary is final once QuestDB holds every terminal event of the run.
    const terminals = Object.entries(truth.counts).filter(([k]) => /\/(completed|failed)$/.test(k)).reduce((n, [, v]) => n + v, 0);
    await waitFor('summary covers every finished job', async () => {
      const res = await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/summary`);
      summary = (await res.json()) as typeof summary;
      return summary.queues.reduce((n, q) => n + q.completed + q.failed, 0) === terminals;
    }, 60_000, 500);
  });

  afterAll(async () => {
    await stack?.stop();
    await bull?.close();
  });

  const byQueue = (q: QueueName): QueueSummary => summary.queues.find((s) => s.queue === q)!;
  const latencies = (jobs: Job[]): number[] => jobs.map((j) => Math.max(0, j.finishedOn! - j.timestamp));

  it.each(QUEUE_NAMES)('%s: latency p50/p95/p99/max match exact percentiles of finishedOn − timestamp', (queue) => {
    const values = latencies(truth.jobs.get(queue)!);
    const api = byQueue(queue).latency;
    for (const [name, q] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const) {
      const exact = exactPercentile(values, q);
      expect(Math.abs(api[name] - exact), `${queue} ${name}: api ${api[name]} exact ${exact}`).toBeLessThanOrEqual(Math.max(1, exact * 0.01));
    }
    expect(api.max).toBe(Math.max(...values));
  });

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
