/**
 * Fault matrix (issue #8), the worst moment for a worker to die: its handler has returned (the
 * work is done) and BullMQ has not yet moved the job to completed. A fixture worker
 * (fixtures/kill-before-transition-worker.ts) SIGKILLs itself right there for a marked job, under
 * load; three of them run next to two normal workers. BullMQ sees a stalled job and runs it again on
 * another worker (at-least-once); the capture must show exactly that: the dead worker's attempt
 * ends `stalled`, the next attempt ends for real, and every count equals BullMQ's records.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, readTruth } from '../support/bullmq-truth.js';
import { uniqueRunId } from '../support/env.js';
import { expectExactlyOnce, waitAllFinished } from '../support/invariants.js';
import { acceptedCount, FAULT_ENV, runLoad, type LoadResult } from '../support/load.js';
import { spawnScript, waitFor, type ServiceProcess } from '../support/processes.js';
import { questdbClient } from '../support/questdb.js';
import { startStack, type TestStack } from '../support/stack.js';
import { REDIS_TARGETS, useTarget } from '../support/cluster.js';

const JOBS = 1200;
const RATE = 150;
/** Every MARK_EVERY-th job is marked: the fixture worker dies after finishing it. */
const MARK_EVERY = 10;
/** Fixture worker processes, started before the load; each dies at its first completed marked job. */
const FIXTURES = 3;
const FIXTURE = 'test/e2e/fixtures/kill-before-transition-worker.ts';

interface Kill {
  queue: string;
  jobId: string;
  /** BullMQ worker name of the dead process (`host:pid`). */
  worker: string;
}

describe.each(REDIS_TARGETS)('fault: a worker SIGKILLed after its handler returned, before BullMQ moved the job, on $redis', (target) => {
  let redis: ReturnType<typeof useTarget> | undefined;
  const runId = uniqueRunId('fault-transition');
  let stack: TestStack;
  let db: pg.Client;
  let bull: ReturnType<typeof openQueues>;
  let load: LoadResult;
  const fixtures: ServiceProcess[] = [];
  const kills: Kill[] = [];

  beforeAll(async () => {
    redis = useTarget(target);
    stack = await startStack({ ...FAULT_ENV, ...redis.env, WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' }, 2);
    db = await questdbClient(stack.config);
    bull = openQueues(stack.config);
  });

  afterAll(async () => {
    await Promise.all(fixtures.map((p) => p.kill('SIGKILL')));
    await stack?.stop('SIGKILL');
    await db?.end();
    await bull?.close();
    redis?.release();
  });

  /** The kill line a fixture printed before it died, if it did. */
  const killOf = (proc: ServiceProcess): Kill | undefined => {
    const m = /killed-before-transition (\S+) (\S+)/.exec(proc.output());
    return m ? { queue: m[1]!, jobId: m[2]!, worker: `${hostname()}:${proc.child.pid}` } : undefined;
  };

  it('three fixture workers each kill themselves after finished work, under load', async () => {
    for (let i = 0; i < FIXTURES; i++) fixtures.push(spawnScript(FIXTURE, stack.env));
    await waitFor('fixture workers ready', () => fixtures.every((p) => /^ready$/m.test(p.output())), 30_000);
    load = await runLoad({
      producerUrl: stack.producerUrl,
      runId,
      jobs: JOBS,
      ratePerSec: RATE,
      clients: 30,
      data: (i) => ({ i, killAfterWork: i % MARK_EVERY === 0 }),
    });
    expect([...load.statuses.keys()]).toEqual([202]);
    expect(acceptedCount(load)).toBe(JOBS);
    // Each died at its first completed marked job, long before the load ended.
    const outcomes = await Promise.all(
      fixtures.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(() => r('still running'), 5000))])),
    );
    expect(outcomes, fixtures.map((p) => p.output().slice(-1000)).join('\n---\n')).toEqual(fixtures.map(() => 'SIGKILL'));
    for (const proc of fixtures) kills.push(killOf(proc)!);
    expect(kills.every(Boolean)).toBe(true);
  });

  it('each killed job: the dead attempt ends stalled, a later attempt ends for real; everything exactly once', async () => {
    await waitAllFinished(bull.queues.values(), JOBS);
    const truth = await readTruth(bull.queues, runId);
    expect(truth.all.length).toBe(JOBS);
    const rows = await expectExactlyOnce(db, { runId, truth, accepted: load.accepted });
    for (const kill of kills) {
      const record = truth.all.find((t) => t.queue === kill.queue && t.job.id === kill.jobId);
      expect(record, `${kill.queue}/${kill.jobId} in BullMQ`).toBeDefined();
      const { job } = record!;
      // BullMQ: the finished-but-unrecorded attempt counts as started, not made; the job ran again.
      expect(job.attemptsStarted - job.attemptsMade).toBeGreaterThanOrEqual(1);
      const mine = rows.filter((r) => r.queue === kill.queue && r.job_id === kill.jobId);
      const stall = mine.find((r) => r.event === 'stalled' && r.worker === kill.worker);
      expect(stall, `${kill.queue}/${kill.jobId}: the dead worker's attempt ends stalled; rows ${JSON.stringify(mine)}`).toBeDefined();
      expect(mine.some((r) => r.event === 'completed' && r.attempt > stall!.attempt) || mine.some((r) => r.event === 'failed')).toBe(true);
    }
  });
});
