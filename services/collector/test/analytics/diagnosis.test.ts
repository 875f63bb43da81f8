/**
 * Diagnosis on real SQL results: runs with a known overload, a known slow handler, known errors
 * and stalls are written to QuestDB, read back by the real queries, and the pure diagnosis is
 * checked against what the documented order of checks must conclude for that data.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDiagnosis } from '@queuescope/contracts';
import { diagnose, diagnoseQueue, rankDiagnoses } from '../../src/analytics/diagnosis.js';
import { runWindow, summarize } from '../../src/analytics/summary.js';
import type { Database } from '../../src/db/database.js';
import { backlogAtStart, latestWaiting, queueTraffic, topErrors, workersPerQueue } from '../../src/db/queries/diagnosis.js';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { questdbClient } from '../../../../test/support/questdb.js';
import { insertJobs, openDb, runOf, waitForRows, type JobSeries } from './fixture.js';

const { config } = testConfig();
// Diagnosis counts every event of a queue in a run's window, whatever its run id, and `job_events`
// has no namespace: each run here lies in a whole second days in the past, picked at random, where
// no other test (nor live traffic) writes `payment` events.
const T0 = Math.floor((Date.now() - (2 + Math.random() * 20) * 86_400_000) / 1000) * 1000;
const RUN_END = T0 + 60_000;
/** The slow run's own window, an hour later, so the overloaded run's queues see none of its traffic. */
const T_SLOW = T0 + 3_600_000;

describe('diagnosis analytics on real SQL results', () => {
  let client: pg.Client;
  let app: FastifyInstance;
  let db: Kysely<Database>;
  const overloaded = uniqueRunId('diag-overload');
  const slow = uniqueRunId('diag-slow');

  const write = async (runId: string, list: JobSeries[]): Promise<void> => {
    let rows = 0;
    for (const s of list) rows += await insertJobs(client, runId, s);
    await waitForRows(client, runId, rows);
  };

  beforeAll(async () => {
    client = await questdbClient(config);
    ({ db, app } = await openDb(config));
    await write(overloaded, [
      // 480 payments at 80/s on one slot of 25 ms (40/s): job x waits x · 12.5 ms. Two worker processes ran them.
      {
        queue: 'payment',
        n: 480,
        startMs: T0,
        stepMs: 12.5,
        wait: 'x * 12.5',
        run: '25',
        worker: `CASE WHEN x % 2 = 0 THEN 'w1' ELSE 'w2' END`,
      },
      // Light and healthy.
      { queue: 'notification', n: 50, startMs: T0, stepMs: 100, wait: '1', run: '5' },
      // 20 % of webhooks fail for good (SLO 5 %); 34 first attempts were retried.
      {
        queue: 'webhook',
        n: 100,
        startMs: T0,
        stepMs: 50,
        wait: '1',
        run: '10',
        failed: 20,
        failError: `CASE WHEN x <= 15 THEN 'boom A' ELSE 'boom B' END`,
        retried: 34,
        retryError: `CASE WHEN x <= 30 THEN 'boom A' WHEN x <= 33 THEN 'boom C' ELSE 'boom D' END`,
      },
    ]);
    // Sampled backlog of payment: 50 waiting, then 180 (the latest in the run window); one sample after the run.
    for (const [offsetMs, waiting] of [
      [3000, 50],
      [6000, 180],
      [120_000, 999],
    ] as const) {
      await client.query(
        `INSERT INTO queue_depth (ts, namespace, queue, waiting, active, delayed, failed) VALUES ($1, $2, 'payment', $3, 1, 0, 0)`,
        [new Date(T0 + offsetMs).toISOString(), config.namespace, waiting],
      );
    }
    await write(slow, [
      // 5 jobs/s of a 600 … 609 ms handler on 5 slots: ρ = 0.6, the handler alone breaks the 500 ms SLO.
      { queue: 'payment', n: 100, startMs: T_SLOW, stepMs: 200, wait: '2', run: '600 + x % 10' },
      { queue: 'notification', n: 100, startMs: T_SLOW, stepMs: 100, wait: '1', run: '5' },
    ]);
    await client.query(
      `INSERT INTO job_events (ts, run_id, queue, event, job_id, job_name, attempt, worker) SELECT cast(${(T_SLOW + 30_000) * 1000} + x AS timestamp), '${slow}', 'notification', 'stalled', '${slow}-stall-' || x, 'j', 1, 'w9' FROM long_sequence(2)`,
    );
    await waitForRows(client, slow, 3 * 100 + 3 * 100 + 2);
  });

  afterAll(async () => {
    await app?.close();
    await client?.end();
  });

  const overloadRun = runOf(overloaded, T0, RUN_END, { workers: 1, concurrency: { payment: 1, notification: 10, webhook: 8 } });

  it("ranks the overloaded queue first with cause waiting, Little's-law concurrency and a backlog that does not drain", async () => {
    const window = runWindow(overloadRun);
    const during = { from: overloadRun.startedAt, to: overloadRun.endedAt! };
    const [summary, workers, backlog, atStart, traffic, errors] = await Promise.all([
      summarize(db, config, overloadRun),
      workersPerQueue(db, overloaded, window),
      latestWaiting(db, { namespace: config.namespace, ...during }),
      backlogAtStart(db, { namespace: config.namespace, at: overloadRun.startedAt }),
      queueTraffic(db, overloaded, { ownWindow: window, during }),
      topErrors(db, overloaded, window, 3),
    ]);
    expect(workers.get('payment')).toBe(2);
    expect(backlog.get('payment')?.waiting).toBe(180);
    // No sample in the minute before the start: the samples taken during the run count its own jobs, not an inherited backlog.
    expect(atStart.has('payment')).toBe(false);
    // Only this run's jobs are in its window: the queue's traffic is the run's.
    expect(traffic.get('payment')).toMatchObject({ arrivals: 480, finished: 480 });
    const ctx = { config, runConfig: overloadRun.config };
    const ranked = rankDiagnoses(
      summary.queues.map((s) =>
        diagnoseQueue(
          s,
          {
            workersSeen: workers.get(s.queue) ?? null,
            latestWaiting: backlog.get(s.queue) ?? null,
            backlogAtStart: atStart.get(s.queue) ?? null,
            traffic: traffic.get(s.queue) ?? null,
            topErrors: errors.get(s.queue) ?? [],
          },
          ctx,
        ),
      ),
    );
    expect(ranked.map((d) => [d.rank, d.queue, d.healthy])).toEqual([
      [1, 'payment', false],
      [2, 'webhook', false],
      [3, 'notification', true],
    ]);

    const payment = ranked[0]!;
    const stats = summary.queues.find((q) => q.queue === 'payment')!;
    // λ = 479 intervals over 479 · 12.5 ms = 80/s and S = 25 ms, both by SQL; c = 1 × 1 from the run config.
    expect(payment.capacity.arrivalRate).toBeCloseTo(80, 6);
    expect(payment.capacity.meanRunMs).toBeCloseTo(25, 9);
    expect(payment.capacity).toMatchObject({
      arrivalSource: 'queue',
      workers: 1,
      workersSource: 'run-config',
      perProcessConcurrency: 1,
      perProcessSource: 'run-config',
      concurrency: 1,
    });
    expect(payment.capacity.runArrivalRate).toBeCloseTo(80, 6);
    expect(payment.capacity.utilisation).toBeCloseTo(2, 6);
    expect(payment.severity).toBeCloseTo(stats.latency.p95! / config.queues.payment.slo.p95Ms, 9);
    expect(payment.cause?.cause).toBe('waiting');
    expect(payment.cause?.because[0]).toMatch(/utilisation/);
    if (payment.cause?.cause !== 'waiting') throw new Error('unreachable');
    const rec = payment.cause.recommendation;
    expect(rec.concurrency).toBe(Math.ceil((80 * 0.025) / 0.7));
    expect(rec.perProcessConcurrency).toBe(3);
    expect(rec).toMatchObject({ backlog: 180, backlogSource: 'queue_depth', drains: false, drainSeconds: null });
    expect(rec.serviceRate).toBeLessThanOrEqual(40 + 1e-9);
    expect(rec.text).toMatch(/does not drain at this arrival rate/);
    expect(payment.cause.evidence).toMatchObject({ waitP95Ms: stats.wait.p95, peakWaiting: stats.peakDepth?.waiting ?? null });
  });

  it('names retrying with the top three error texts when failures break the error SLO', async () => {
    const d = await diagnose(db, config, overloadRun);
    const webhook = d.queues.find((q) => q.queue === 'webhook')!;
    expect(webhook.worstCheck).toBe('error_rate');
    expect(webhook.severity).toBeCloseTo(0.2 / config.queues.webhook.slo.maxErrorRate, 9);
    expect(webhook.cause?.cause).toBe('retrying');
    if (webhook.cause?.cause !== 'retrying') throw new Error('unreachable');
    expect(webhook.cause.evidence.topErrors).toEqual([
      { error: 'boom A', count: 45 },
      { error: 'boom B', count: 5 },
      { error: 'boom C', count: 3 },
    ]);
    expect(webhook.cause.evidence).toMatchObject({ retries: 34, failed: 20, failureRate: 0.2 });
    expect(webhook.cause.because).toHaveLength(2);
    const notification = d.queues.find((q) => q.queue === 'notification')!;
    expect(notification).toMatchObject({ healthy: true, cause: null, secondary: [] });
  });

  it('takes c from the events and the collector config when the run config has no numbers', async () => {
    const d: RunDiagnosis = await diagnose(db, config, { ...overloadRun, config: {} });
    const payment = d.queues.find((q) => q.queue === 'payment')!;
    expect(payment.capacity).toMatchObject({
      workers: 2,
      workersSource: 'events',
      perProcessConcurrency: config.queues.payment.concurrency,
      perProcessSource: 'collector-config',
    });
    expect(payment.capacity.concurrency).toBe(2 * config.queues.payment.concurrency);
    // ρ = 80 · 0.025 / 10 = 0.2: not saturated, but the wait share still makes it `waiting`.
    expect(payment.capacity.utilisation).toBeCloseTo(0.2, 6);
    expect(payment.cause?.cause).toBe('waiting');
    expect(payment.cause?.because).toEqual([expect.stringMatching(/^wait p95/)]);
    // Little's law asks for ⌈2/0.7⌉ = 3 slots, but 180 jobs were still waiting at the last sample: never fewer than the current 10.
    if (payment.cause?.cause !== 'waiting') throw new Error('unreachable');
    expect(payment.cause.recommendation).toMatchObject({
      concurrency: 2 * config.queues.payment.concurrency,
      atLeastCurrent: true,
      backlog: 180,
    });
    expect(payment.cause.recommendation.text).toMatch(/^Keep payment concurrency at least at its current/);
  });

  it('a slow handler is running with the run p95 that would meet the SLO; stalls on a healthy queue are a warning', async () => {
    const d = await diagnose(db, config, runOf(slow, T_SLOW, T_SLOW + 60_000, { workers: 1, concurrency: { payment: 5 } }));
    const payment = d.queues.find((q) => q.queue === 'payment')!;
    expect(payment.rank).toBe(1);
    expect(payment.capacity.utilisation).toBeCloseTo((5 * 0.6045) / 5, 2);
    expect(payment.cause?.cause).toBe('running');
    if (payment.cause?.cause !== 'running') throw new Error('unreachable');
    expect(payment.cause.recommendation.targetRunP95Ms).toBeCloseTo(config.queues.payment.slo.p95Ms - payment.cause.evidence.waitP95Ms!, 9);
    expect(payment.cause.evidence.runP95Ms!).toBeGreaterThan(600);
    const notification = d.queues.find((q) => q.queue === 'notification')!;
    expect(notification).toMatchObject({ rank: 2, healthy: true });
    expect(notification.cause?.cause).toBe('stalling');
  });
});
