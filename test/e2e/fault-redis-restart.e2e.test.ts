/**
 * Fault matrix (issue #8), Redis: the whole stack on a private Redis (infra/redis.conf: AOF on,
 * `appendfsync everysec`), SIGKILLed under load and restarted on the same port and directory, so
 * it comes back from its AOF. While it is down the producer answers 503 naming Redis, quickly and
 * without a stack trace; every service reconnects on its own; and every job whose 202 arrived is
 * in BullMQ afterwards and stored exactly once.
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

describe('fault: Redis SIGKILLed under load and restarted from its AOF', () => {
  const runId = uniqueRunId('fault-redis');
  let redis: PrivateRedis;
  let stack: TestStack;
  let db: pg.Client;
  let bull: ReturnType<typeof openQueues>;
  let load: LoadResult;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await startStack({ ...FAULT_ENV, REDIS_URL: redis.url }, 3);
    db = await questdbClient(stack.config);
    bull = openQueues(stack.config);
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
});
