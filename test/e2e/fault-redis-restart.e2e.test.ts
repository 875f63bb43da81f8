/**
 * Fault matrix (issue #8), Redis: the whole stack on a private Redis (infra/redis.conf: AOF on,
 * `appendfsync everysec`), SIGKILLed under load and restarted on the same port and directory, so
 * it comes back from its AOF. While it is down the producer answers 503 naming Redis, quickly and
 * without a stack trace, and so does the collector's `POST /api/v1/events`; every service process
 * (producer, collector, workers) keeps running and reconnects on its own: the same pids are ready
 * afterwards, and jobs sent after the restart are processed by every worker and captured; every job
 * whose 202 arrived is in BullMQ afterwards and stored exactly once.
 *
 * Why SIGKILL and not SIGTERM: SIGTERM makes Redis fsync and exit cleanly, which proves little.
 * Redis writes each command to the AOF file (write(2), into the kernel's page cache) before it
 * sends the reply, and a killed process loses nothing the kernel holds; `everysec` only bounds
 * what a machine or kernel crash loses (≤ 1 s, or ~2 s when an fsync stalls), which no test on one
 * machine can produce. So a 202 that arrived must survive a SIGKILL: this test holds Redis to that.
 */
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, readTruth } from '../support/bullmq-truth.js';
import { uniqueRunId } from '../support/env.js';
import { expectExactlyOnce, waitAllFinished } from '../support/invariants.js';
import { acceptedCount, FAULT_ENV, newProgress, runLoad, type LoadResult } from '../support/load.js';
import { waitFor } from '../support/processes.js';
import { questdbClient } from '../support/questdb.js';
import { PrivateRedis } from '../support/redis-server.js';
import { startStack, type TestStack } from '../support/stack.js';

const JOBS = 1800;
const RATE = 150;
const DOWN_MS = 3000;
/** Jobs sent once everything is back: enough that each worker takes some. */
const AFTER_JOBS = 300;

describe('fault: Redis SIGKILLed under load and restarted from its AOF', () => {
  const runId = uniqueRunId('fault-redis');
  let redis: PrivateRedis;
  let stack: TestStack;
  let db: pg.Client;
  let bull: ReturnType<typeof openQueues>;
  let load: LoadResult;
  /** Each service process as it was before Redis went away: name, pid. */
  let before: { name: string; pid: number | undefined }[];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await startStack({ ...FAULT_ENV, REDIS_URL: redis.url }, 3);
    db = await questdbClient(stack.config);
    bull = openQueues(stack.config);
    before = stack.procs.map((p, i) => ({
      name: i === 0 ? 'collector' : i === stack.procs.length - 1 ? 'producer' : 'worker',
      pid: p.child.pid,
    }));
  });

  afterAll(async () => {
    await stack?.stop('SIGKILL');
    await db?.end();
    await bull?.close();
    await redis?.destroy();
  });

  it('answers 503 naming Redis while it is down, and takes load again once it is back', async () => {
    const progress = newProgress();
    const running = runLoad({ producerUrl: stack.producerUrl, runId, jobs: JOBS, ratePerSec: RATE, clients: 30, progress });
    await waitFor('a quarter of the load accepted', () => progress.accepted >= JOBS / 4, 30_000, 5);
    await redis.kill();
    const down = Date.now();
    await waitFor('the producer refuses requests', () => progress.failed > 0, 10_000, 20);
    // Quickly, with the reason, no stack trace; readyz says so too.
    const started = Date.now();
    const res = await fetch(`${stack.producerUrl}/api/v1/queues/payment/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-run-id': runId },
      body: JSON.stringify({ name: 'probe', data: {} }),
    });
    const body = await res.text();
    expect(res.status).toBe(503);
    expect(body).toMatch(/redis/i);
    expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await fetch(`${stack.producerUrl}/readyz`)).status).toBe(503);
    // The collector too: its write route refuses at once, naming Redis; readyz says so; it stays up.
    const posted = Date.now();
    const ingest = await fetch(`${stack.collectorUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.collectorHeaders },
      body: JSON.stringify({
        events: [
          {
            ts: Date.now() * 1000,
            run_id: runId,
            queue: 'payment',
            event: 'added',
            job_id: 'probe',
            job_name: 'p',
            attempt: 0,
            worker: '',
          },
        ],
      }),
    });
    expect(ingest.status).toBe(503);
    expect(await ingest.json()).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', message: expect.stringMatching(/^redis unavailable: /) });
    expect(Date.now() - posted).toBeLessThan(5000);
    const collectorReady = await fetch(`${stack.collectorUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    expect(collectorReady.status).toBe(503);
    expect(await collectorReady.json()).toMatchObject({ status: 'unavailable', redis: expect.not.stringMatching(/^ok$|127\.0\.0\.1/) });
    expect((await fetch(`${stack.collectorUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${stack.producerUrl}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - down))));
    await redis.start();
    const acceptedBeforeRestart = progress.accepted;
    load = await running;
    await waitFor('producer ready again', async () => (await fetch(`${stack.producerUrl}/readyz`)).status === 200, 20_000);
    expect([...load.statuses.keys()].sort()).toEqual([202, 503]);
    expect(load.refusals.every((r) => r.status === 503 && /redis/i.test(r.body))).toBe(true);
    // Accepted after the restart too: the last requests of the load came after Redis was back.
    expect(acceptedCount(load)).toBeGreaterThan(acceptedBeforeRestart);
  });

  it('answers 503 naming Redis within its 3 s command timeout when Redis is up but does not answer', async () => {
    const admin = new Redis(redis.url);
    try {
      // CLIENT PAUSE: connections stay open and commands are queued unanswered, as on a stuck server.
      await admin.call('CLIENT', 'PAUSE', '6000', 'ALL');
      const started = Date.now();
      const res = await fetch(`${stack.producerUrl}/api/v1/queues/payment/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-run-id': runId },
        body: JSON.stringify({ name: 'probe', data: {} }),
      });
      const waited = Date.now() - started;
      const body = await res.text();
      expect(res.status).toBe(503);
      expect(body).toMatch(/redis/i);
      expect(body).not.toMatch(/at .*\.(ts|js):\d+/);
      expect(waited).toBeGreaterThanOrEqual(2500);
      expect(waited).toBeLessThan(5000);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
    }
  });

  it('every job whose 202 arrived survived the restart and is stored exactly once', async () => {
    await waitAllFinished(bull.queues.values(), acceptedCount(load), 120_000);
    const truth = await readTruth(bull.queues, runId);
    // A request answered 503 may still have added its job (the reply was lost, not the write).
    expect(truth.all.length).toBeGreaterThanOrEqual(acceptedCount(load));
    await expectExactlyOnce(db, { runId, truth, accepted: load.accepted, timeoutMs: 90_000 });
  });

  it('every process recovered without a restart: same pids, all ready, and jobs sent now are processed by every worker and captured', async () => {
    expect(stack.procs.map((p, i) => ({ name: before[i]!.name, pid: p.child.pid, exit: p.child.exitCode ?? p.child.signalCode }))).toEqual(
      before.map((b) => ({ ...b, exit: null })),
    );
    await waitFor('collector ready', async () => (await fetch(`${stack.collectorUrl}/readyz`)).status === 200, 30_000);
    expect((await fetch(`${stack.producerUrl}/readyz`)).status).toBe(200);

    const afterRun = uniqueRunId('fault-redis-after');
    const after = await runLoad({ producerUrl: stack.producerUrl, runId: afterRun, jobs: AFTER_JOBS, ratePerSec: RATE, clients: 20 });
    expect([...after.statuses.keys()]).toEqual([202]);
    await waitAllFinished(bull.queues.values(), acceptedCount(load) + AFTER_JOBS, 120_000);
    const truth = await readTruth(bull.queues, afterRun);
    const rows = await expectExactlyOnce(db, { runId: afterRun, truth, accepted: after.accepted, timeoutMs: 90_000 });
    // Each worker process (BullMQ name host:pid) started some of them: none is stuck since the outage.
    const workers = new Set(rows.filter((r) => r.event === 'active').map((r) => Number(r.worker?.split(':').at(-1))));
    const workerPids = before.filter((b) => b.name === 'worker').map((b) => b.pid);
    expect([...workers].sort()).toEqual([...workerPids].sort());
  });
});
