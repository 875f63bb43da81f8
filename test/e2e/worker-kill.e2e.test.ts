/**
 * DESIGN invariants 1–3 for a worker killed with SIGKILL mid-job: its jobs stall, another worker
 * reports the stall and retries them, and every attempt still has one `active` row and exactly one
 * terminal row, matching BullMQ's own records (attemptsStarted, stalledCounter).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedCounts, openQueues } from '../support/bullmq-truth.js';
import { testConfig, uniqueRunId } from '../support/env.js';
import { freePort, spawnService, waitFor, waitForHttp, type ServiceProcess } from '../support/processes.js';
import { pollQuery, questdbClient } from '../support/questdb.js';

const JOBS = 60;

describe('worker killed with SIGKILL mid-job', () => {
  const runId = uniqueRunId('worker-kill');
  let env: Record<string, string>;
  let config: ReturnType<typeof testConfig>['config'];
  const procs: ServiceProcess[] = [];
  let db: pg.Client;
  let bull: ReturnType<typeof openQueues>;
  let producerUrl: string;

  beforeAll(async () => {
    const [producerPort, collectorPort] = [await freePort(), await freePort()];
    ({ config, env } = testConfig({
      PRODUCER_PORT: String(producerPort),
      COLLECTOR_PORT: String(collectorPort),
      WORKER_QUEUES: 'payment',
      WORKER_LOCK_MS: '2000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      QUEUE_PAYMENT_LATENCY: 'fixed:400',
      QUEUE_PAYMENT_FAILURE_RATE: '0',
      QUEUE_PAYMENT_CONCURRENCY: '5',
    }));
    producerUrl = `http://127.0.0.1:${producerPort}`;
    const collector = spawnService('collector', env);
    procs.push(collector);
    await waitForHttp(`http://127.0.0.1:${collectorPort}/readyz`, collector);
    const producer = spawnService('producer', env);
    procs.push(producer);
    await waitForHttp(`${producerUrl}/readyz`, producer);
    db = await questdbClient(config);
    bull = openQueues(config);
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await db?.end();
    await bull?.close();
  });

  it('the killed worker’s jobs stall, are retried elsewhere, and every attempt has one active and one terminal row', async () => {
    const victim = spawnService('worker', env);
    procs.push(victim);
    for (let i = 0; i < JOBS; i++) {
      const res = await fetch(`${producerUrl}/api/v1/queues/payment/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-run-id': runId },
        body: JSON.stringify({ name: 'charge', data: { i } }),
      });
      expect(res.status).toBe(202);
    }
    const payment = bull.queues.get('payment')!;
    await waitFor('victim has jobs in hand', async () => (await payment.getActiveCount()) >= 5, 30_000, 20);
    await new Promise((r) => setTimeout(r, 150)); // mid-job: 150 ms into a 400 ms handler
    expect(await victim.kill('SIGKILL')).toBe('SIGKILL');
    const survivor = spawnService('worker', env);
    procs.push(survivor);

    await waitFor('all jobs finished in BullMQ', async () => {
      const s = await finishedCounts(payment);
      return s.unfinished === 0 && s.finished === JOBS;
    }, 90_000);
    const jobs = (await payment.getJobs(['completed', 'failed'], 0, -1)).filter((j) => j.data.runId === runId);
    const expected: Record<string, number> = { added: JOBS, active: 0, completed: 0, stalled: 0, failed: 0 };
    for (const job of jobs) {
      expected.active! += job.attemptsStarted;
      if (job.finishedOn && (await job.isFailed())) expected.failed! += 1;
      else {
        expected.completed! += 1;
        expected.stalled! += job.stalledCounter;
      }
    }
    expect(expected.stalled).toBeGreaterThan(0);
    for (const key of Object.keys(expected)) if (expected[key] === 0) delete expected[key];

    const sql = `SELECT event, count() AS n FROM job_events WHERE run_id = $1 GROUP BY event`;
    const rows = await pollQuery<{ event: string; n: number }>(db, sql, [runId], (r) => {
      const got = Object.fromEntries(r.map((x) => [x.event, x.n]));
      return Object.entries(expected).every(([k, v]) => got[k] === v);
    }, 60_000);
    expect(Object.fromEntries(rows.map((x) => [x.event, x.n]))).toEqual(expected);

    const attempts = await db.query<{ job_id: string; attempt: number; actives: number; terminals: number }>(
      `SELECT job_id, attempt, sum(CASE WHEN event = 'active' THEN 1 ELSE 0 END) AS actives,
              sum(CASE WHEN event IN ('retried', 'completed', 'failed', 'stalled') THEN 1 ELSE 0 END) AS terminals
       FROM job_events WHERE run_id = $1 AND event != 'added' GROUP BY job_id, attempt`,
      [runId],
    );
    expect(attempts.rows.filter((r) => Number(r.actives) !== 1 || Number(r.terminals) !== 1)).toEqual([]);
  });
});
