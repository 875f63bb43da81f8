/**
 * Fault matrix (issue #8), producer: SIGKILL the producer while requests are in flight under
 * load, start a new one on the same port, and every job a client got a 202 for is complete in
 * QuestDB, exactly once. Requests the dead producer never answered may or may not have added
 * their job; those that did are BullMQ jobs like any other and must have their rows too.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, readTruth } from '../support/bullmq-truth.js';
import { uniqueRunId } from '../support/env.js';
import { expectExactlyOnce, waitAllFinished } from '../support/invariants.js';
import { acceptedCount, FAULT_ENV, newProgress, runLoad, type LoadResult } from '../support/load.js';
import { spawnService, waitFor, waitForHttp } from '../support/processes.js';
import { questdbClient } from '../support/questdb.js';
import { startStack, type TestStack } from '../support/stack.js';
import { REDIS_TARGETS, useTarget } from '../support/cluster.js';

// 15 s of load with the kill in it, then a burst the replacement must take whole.
const JOBS = 3000;
const AFTER_JOBS = 600;
const RATE = 200;

describe.each(REDIS_TARGETS)('fault: producer SIGKILLed mid-request under load, on $redis', (target) => {
  let redis: ReturnType<typeof useTarget> | undefined;
  const runId = uniqueRunId('fault-producer');
  let stack: TestStack;
  let db: pg.Client;
  let bull: ReturnType<typeof openQueues>;
  let load: LoadResult;

  beforeAll(async () => {
    redis = useTarget(target);
    stack = await startStack({ ...FAULT_ENV, ...redis.env }, 3);
    db = await questdbClient(stack.config);
    bull = openQueues(stack.config);
  });

  afterAll(async () => {
    await stack?.stop('SIGKILL');
    await db?.end();
    await bull?.close();
    redis?.release();
  });

  it('kills the producer with requests in flight and a new one takes the load', async () => {
    const progress = newProgress();
    const running = runLoad({ producerUrl: stack.producerUrl, runId, jobs: JOBS, ratePerSec: RATE, clients: 40, progress });
    // startStack starts the producer last.
    const producer = stack.procs.at(-1)!;
    // Mid-run: a third accepted, more requests on the wire.
    await waitFor('a third of the load accepted', () => progress.accepted >= JOBS / 3, 30_000, 5);
    expect(await producer.kill('SIGKILL')).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    const replacement = spawnService('producer', stack.env);
    stack.procs.push(replacement);
    await waitForHttp(`${stack.producerUrl}/readyz`, replacement);
    const during = await running;
    // The kill was felt: some requests got no answer (a paced load that fell behind while the
    // producer was down may have spent all its requests by now, so what follows is sent anew).
    expect(during.statuses.get(0) ?? 0).toBeGreaterThan(0);
    // The new producer takes the load: every request of a second burst is accepted.
    const after = await runLoad({ producerUrl: stack.producerUrl, runId, jobs: AFTER_JOBS, ratePerSec: RATE, clients: 40 });
    expect([...after.statuses.entries()]).toEqual([[202, AFTER_JOBS]]);
    load = {
      accepted: new Map([...during.accepted].map(([q, ids]) => [q, [...ids, ...(after.accepted.get(q) ?? [])]])),
      statuses: new Map([...during.statuses, [202, (during.statuses.get(202) ?? 0) + AFTER_JOBS]]),
      refusals: during.refusals,
    };
    expect([...load.statuses.keys()].filter((s) => s !== 0 && s !== 202)).toEqual([]);
  });

  it('every accepted job, and every job the dead producer added unanswered, is stored exactly once', async () => {
    await waitAllFinished(bull.queues.values(), acceptedCount(load));
    const truth = await readTruth(bull.queues, runId);
    expect(truth.all.length).toBeGreaterThanOrEqual(acceptedCount(load));
    await expectExactlyOnce(db, { runId, truth, accepted: load.accepted });
  });
});
