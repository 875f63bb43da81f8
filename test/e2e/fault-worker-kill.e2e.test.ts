/**
 * Fault matrix (issue #8), worker mid-job: SIGKILL one of three worker processes while it holds
 * jobs under load. BullMQ's stalled check (on the surviving workers) moves its jobs back to wait
 * and writes `stalled`; the survivors run them again. Every attempt has one `active` and one
 * terminal row, and the counts equal BullMQ's records (stalled = attemptsStarted − attemptsMade).
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, readTruth, type Truth } from '../support/bullmq-truth.js';
import { uniqueRunId } from '../support/env.js';
import { expectExactlyOnce, waitAllFinished } from '../support/invariants.js';
import { acceptedCount, FAULT_ENV, newProgress, runLoad, type LoadResult } from '../support/load.js';
import { waitFor, type ServiceProcess } from '../support/processes.js';
import { questdbClient } from '../support/questdb.js';
import { startStack, type TestStack } from '../support/stack.js';
import { REDIS_TARGETS, useTarget } from '../support/cluster.js';

const JOBS = 1500;
const RATE = 200;

describe.each(REDIS_TARGETS)('fault: a worker SIGKILLed mid-job under load, on $redis', (target) => {
  let redis: ReturnType<typeof useTarget> | undefined;
  const runId = uniqueRunId('fault-worker');
  let stack: TestStack;
  let db: pg.Client;
  let bull: ReturnType<typeof openQueues>;
  let load: LoadResult;
  let victim: ServiceProcess;
  let victimName: string;
  /** `queue/jobId` of the jobs the victim held when it was killed. */
  let inHand: string[] = [];

  beforeAll(async () => {
    // Stalls found within ~3 s: lock 2 s, checked every second.
    redis = useTarget(target);
    stack = await startStack({ ...FAULT_ENV, ...redis.env, WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' }, 3);
    db = await questdbClient(stack.config);
    bull = openQueues(stack.config);
  });

  afterAll(async () => {
    await stack?.stop('SIGKILL');
    await db?.end();
    await bull?.close();
    redis?.release();
  });

  it('kills a worker while it holds jobs; the load goes on', async () => {
    const progress = newProgress();
    const running = runLoad({ producerUrl: stack.producerUrl, runId, jobs: JOBS, ratePerSec: RATE, clients: 40, progress });
    await waitFor('a third of the load accepted', () => progress.accepted >= JOBS / 3, 30_000, 5);
    // startStack starts the collector, then the workers, then the producer.
    victim = stack.procs[1]!;
    victimName = `${hostname()}:${victim.child.pid}`;
    await waitFor(
      'the victim holds at least 3 jobs',
      async () => {
        const active = (await Promise.all([...bull.queues.values()].map((q) => q.getJobs(['active'])))).flat();
        inHand = active.filter((j) => j.processedBy === victimName).map((j) => `${j.queueName}/${j.id}`);
        return inHand.length >= 3;
      },
      20_000,
      10,
    );
    expect(await victim.kill('SIGKILL')).toBe('SIGKILL');
    load = await running;
    expect([...load.statuses.keys()]).toEqual([202]);
    expect(acceptedCount(load)).toBe(JOBS);
  });

  it('every attempt has one active and one terminal row; counts equal BullMQ, stalls included', async () => {
    await waitAllFinished(bull.queues.values(), JOBS);
    const truth: Truth = await readTruth(bull.queues, runId);
    expect(truth.all.length).toBe(JOBS);
    const stalledJobs = truth.all.filter(({ job }) => job.attemptsStarted > job.attemptsMade);
    // The victim held jobs when it died (the snapshot a moment before the kill may have finished by then).
    expect(stalledJobs.length, `stalled jobs ${stalledJobs.length}, in hand before the kill ${inHand.length}`).toBeGreaterThan(0);
    const rows = await expectExactlyOnce(db, { runId, truth, accepted: load.accepted });

    // Every stalled attempt is the victim's; the next one is a survivor's (worker = BullMQ processedBy).
    for (const { queue, job } of stalledJobs) {
      const mine = rows.filter((r) => r.queue === queue && r.job_id === job.id);
      const stall = mine.find((r) => r.event === 'stalled' && r.worker === victimName);
      expect(stall, `${queue}/${job.id}: a stalled row of the victim's attempt`).toBeDefined();
      const after = mine.filter((r) => r.event === 'active' && r.attempt > stall!.attempt);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((r) => r.worker !== victimName && r.worker !== null)).toBe(true);
    }
  });
});
