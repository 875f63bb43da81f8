/**
 * Issue 3, item 6: one real run where payment has one slot (1 worker process × concurrency 1,
 * 20 ms handler: at most 50 jobs/s) against ~80 jobs/s for ~6 s, while notification and webhook
 * are lightly loaded. The diagnosis must rank payment first with cause `waiting`, and recommend a
 * total concurrency within ±30 % of ⌈λ·S/0.7⌉ computed here from BullMQ's own job records.
 */
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCounts, openQueues } from '../support/bullmq-truth.js';
import { uniqueRunId } from '../support/env.js';
import { waitFor } from '../support/processes.js';
import { questdbClient, waitForViews } from '../support/questdb.js';
import { sendJobs, startStack, type TestStack } from '../support/stack.js';

const PAYMENTS = 480;
const PAYMENT_RATE = 80;
const LIGHT = 30;

interface Finding {
  cause: string;
  because: string[];
  evidence: Record<string, unknown>;
  recommendation: {
    text: string;
    concurrency?: number | null;
    perProcessConcurrency?: number | null;
    serviceRate?: number | null;
    drains?: boolean | null;
  };
}
interface Diagnosis {
  queues: {
    rank: number;
    queue: string;
    healthy: boolean;
    severity: number | null;
    capacity: { arrivalRate: number; meanRunMs: number; concurrency: number; utilisation: number; workersSource: string };
    cause: Finding | null;
  }[];
}

describe('diagnosis of a real run with an under-provisioned queue', () => {
  const runId = uniqueRunId('diagnosis');
  let stack: TestStack;
  let diagnosis: Diagnosis;
  let payments: Job[];

  beforeAll(async () => {
    stack = await startStack(
      {
        QUEUE_PAYMENT_CONCURRENCY: '1',
        QUEUE_PAYMENT_LATENCY: 'fixed:20',
        QUEUE_PAYMENT_FAILURE_RATE: '0',
        QUEUE_NOTIFICATION_LATENCY: 'fixed:5',
        QUEUE_NOTIFICATION_FAILURE_RATE: '0',
        QUEUE_WEBHOOK_LATENCY: 'fixed:5',
        QUEUE_WEBHOOK_FAILURE_RATE: '0',
        // Generous SLOs keep the light queues healthy even when other work slows this machine down.
        QUEUE_NOTIFICATION_SLO_P95_MS: '3000',
        QUEUE_NOTIFICATION_SLO_P99_MS: '6000',
        QUEUE_WEBHOOK_SLO_P95_MS: '3000',
        QUEUE_WEBHOOK_SLO_P99_MS: '6000',
      },
      1,
    );
    const q = stack.config.queues;
    const created = await fetch(`${stack.collectorUrl}/api/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: runId,
        name: 'diagnosis e2e',
        config: {
          workers: 1,
          concurrency: { payment: q.payment.concurrency, notification: q.notification.concurrency, webhook: q.webhook.concurrency },
        },
      }),
    });
    expect(created.status).toBe(201);
    const [heavy, light] = await Promise.all([
      sendJobs(stack.producerUrl, runId, { payment: PAYMENTS }, { clients: 20, ratePerSec: PAYMENT_RATE }),
      sendJobs(stack.producerUrl, runId, { notification: LIGHT, webhook: LIGHT }, { clients: 2, ratePerSec: 10 }),
    ]);
    expect([...heavy.statuses, ...light.statuses].filter((s) => s !== 202)).toEqual([]);
    const bull = openQueues(stack.config);
    try {
      await waitFor(
        'every job finished in BullMQ',
        async () => {
          const [p, n, w] = await Promise.all(
            ['payment', 'notification', 'webhook'].map((name) => finishedCounts(bull.queues.get(name as 'payment')!)),
          );
          return p!.finished === PAYMENTS && n!.finished === LIGHT && w!.finished === LIGHT;
        },
        60_000,
      );
      payments = (await bull.queues.get('payment')!.getJobs(['completed'], 0, -1)).filter((j) => j.data?.runId === runId);
    } finally {
      await bull.close();
    }
    expect((await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/finish`, { method: 'POST' })).status).toBe(200);
    await waitFor(
      'QuestDB holds every finished job',
      async () => {
        const summary = (await (await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/summary`)).json()) as {
          queues: { completed: number }[];
        };
        return summary.queues.reduce((n, s) => n + s.completed, 0) === PAYMENTS + 2 * LIGHT;
      },
      30_000,
      300,
    );
    // Each per-second view refreshes on its own: diagnose once all of them have.
    const db = await questdbClient(stack.config);
    await waitForViews(db);
    await db.end();
    const res = await fetch(`${stack.collectorUrl}/api/v1/runs/${runId}/diagnosis`);
    expect(res.status).toBe(200);
    diagnosis = (await res.json()) as Diagnosis;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('ranks payment first, with cause waiting, and the light queues after it as healthy', () => {
    const [first, ...rest] = diagnosis.queues;
    expect(first!.queue).toBe('payment');
    expect(first!.rank).toBe(1);
    expect(first!.healthy).toBe(false);
    expect(first!.cause?.cause).toBe('waiting');
    expect(first!.capacity).toMatchObject({ concurrency: 1, workersSource: 'run-config' });
    expect(first!.capacity.utilisation).toBeGreaterThanOrEqual(0.85);
    expect(rest.map((d) => [d.queue, d.healthy]).sort()).toEqual([
      ['notification', true],
      ['webhook', true],
    ]);
  });

  it("recommends a total concurrency within ±30 % of ⌈λ·S/0.7⌉ from BullMQ's job records", () => {
    expect(payments).toHaveLength(PAYMENTS);
    const stamps = payments.map((j) => j.timestamp);
    const lambda = payments.length / ((Math.max(...stamps) - Math.min(...stamps)) / 1000);
    const meanRunMs = payments.reduce((sum, j) => sum + (j.finishedOn! - j.processedOn!), 0) / payments.length;
    const cTest = Math.ceil((lambda * (meanRunMs / 1000)) / 0.7);
    const rec = diagnosis.queues[0]!.cause!.recommendation;
    const detail = `λ_truth ${lambda} jobs/s, S_truth ${meanRunMs} ms, c_test ${cTest}; API ${JSON.stringify(diagnosis.queues[0]!.capacity)} ${JSON.stringify(rec)}`;
    expect(Math.abs(rec.concurrency! - cTest), detail).toBeLessThanOrEqual(0.3 * cTest);
    // One slot serves at most 1000/S jobs per second; below the arrival rate the backlog cannot drain.
    expect(rec.serviceRate!, detail).toBeLessThanOrEqual((1000 / meanRunMs) * 1.05);
    if (lambda > (1000 / meanRunMs) * 1.05) {
      expect(rec.drains, detail).toBe(false);
      expect(rec.text).toMatch(/does not drain at this arrival rate/);
    }
  });

  it('404 for an unknown run, 400 for a malformed id', async () => {
    const unknown = uniqueRunId('missing');
    const missing = await fetch(`${stack.collectorUrl}/api/v1/runs/${unknown}/diagnosis`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toContain(unknown);
    const injected = await fetch(`${stack.collectorUrl}/api/v1/runs/${encodeURIComponent("x' OR '1'='1")}/diagnosis`);
    expect(injected.status).toBe(400);
    expect(((await injected.json()) as { message: string }).message).toMatch(/params\/id/);
  });
});
