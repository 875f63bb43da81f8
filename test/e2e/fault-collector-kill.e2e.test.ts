/**
 * Fault matrix (issue #8), collector: SIGKILL it with a batch in hand, under load, at the two
 * moments that matter, then let a new collector take over:
 * - before its QuestDB write: the batch's entries are pending in the consumer group, nothing of
 *   it is stored; the next owner reclaims and writes them;
 * - after QuestDB committed the write, before the ack: the entries are still pending although
 *   their rows are stored; the next owner writes them again and the dedup keys absorb it.
 * The moment is chosen by an HTTP relay in front of QuestDB (support/ilp-relay.ts) that kills the
 * collector while holding its write request. Exactly-once is then checked against BullMQ.
 */
import { COLLECTOR_GROUP, QUEUE_NAMES, queueKeys, type IngestStatus } from '@queuescope/contracts';
import { createRedis, type RedisClient } from '@queuescope/service-kit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, readTruth } from '../support/bullmq-truth.js';
import { testConfig, uniqueRunId } from '../support/env.js';
import { IlpRelay } from '../support/ilp-relay.js';
import { expectExactlyOnce, waitAllFinished, waitWalApplied } from '../support/invariants.js';
import { acceptedCount, FAULT_ENV, runLoad, type LoadResult } from '../support/load.js';
import { spawnService, waitFor, waitForHttp, type ServiceProcess } from '../support/processes.js';
import { questdbClient } from '../support/questdb.js';
import { startStack, type TestStack } from '../support/stack.js';
import { REDIS_TARGETS, useTarget } from '../support/cluster.js';
import { ingestStatus, waitIngestDrained } from '../support/ingest.js';

const JOBS = 2400;
const RATE = 150;

describe.each(REDIS_TARGETS)('fault: collector SIGKILLed before its QuestDB write, and after it before the ack, on $redis', (target) => {
  let topology: ReturnType<typeof useTarget> | undefined;
  const runId = uniqueRunId('fault-collector');
  let relay: IlpRelay;
  let stack: TestStack;
  let redis: RedisClient;
  let db: pg.Client;
  let bull: ReturnType<typeof openQueues>;
  let running: Promise<LoadResult>;

  beforeAll(async () => {
    topology = useTarget(target);
    relay = await IlpRelay.start(testConfig().config.questdb.http);
    stack = await startStack(
      {
        ...FAULT_ENV,
        ...topology.env,
        QUESTDB_ILP_CONF: `http::addr=${relay.addr};auto_flush=off;protocol_version=2;retry_timeout=10000;`,
        // A dead owner's streams are taken over 1.5 s after its last renewal.
        COLLECTOR_LEASE_MS: '1500',
      },
      3,
    );
    redis = createRedis(stack.config, 'collector');
    db = await questdbClient(stack.config);
    bull = openQueues(stack.config);
    running = runLoad({ producerUrl: stack.producerUrl, runId, jobs: JOBS, ratePerSec: RATE, clients: 30 });
  });

  afterAll(async () => {
    await stack?.stop('SIGKILL');
    await relay?.close();
    await redis?.quit();
    await db?.end();
    await bull?.close();
    topology?.release();
  });

  /** Entries read by a collector and not acknowledged, over the three queues' streams. */
  const pendingNow = async (): Promise<number> => {
    let total = 0;
    for (const q of QUEUE_NAMES) {
      const summary = (await redis.xpending(queueKeys(stack.config.namespace, q).events, COLLECTOR_GROUP).catch(() => [0])) as [number];
      total += Number(summary[0]);
    }
    return total;
  };
  const rowsOfRun = async (): Promise<number> => {
    await waitWalApplied(db);
    return Number((await db.query<{ n: number }>(`SELECT count() AS n FROM job_events WHERE run_id = $1`, [runId])).rows[0]?.n ?? 0);
  };
  const status = (): Promise<IngestStatus> => ingestStatus(stack.collectorUrl);
  /** `promise`, or a failure naming `what` after `ms`. */
  const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)),
    );
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  };
  /** Start a collector and wait until it has taken over the dead one's pending entries. */
  const takeOver = async (): Promise<ServiceProcess> => {
    const next = spawnService('collector', stack.env);
    stack.procs.push(next);
    await waitForHttp(`${stack.collectorUrl}/readyz`, next);
    await waitFor(
      "the new collector reclaimed the dead one's entries",
      async () => (await status()).streams.some((s) => s.entriesReclaimed > 0),
      20_000,
    );
    return next;
  };

  it('killed before its write: the batch stays pending', async () => {
    const first = stack.procs[0]!;
    const upstream = await within(
      relay.arm('before-write', runId, async () => {
        await first.kill('SIGKILL');
      }),
      30_000,
      'a write of the run by the first collector',
    );
    expect(upstream).toBeNull();
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(await pendingNow()).toBeGreaterThan(0);
  });

  it('a new collector takes over; killed after QuestDB committed its write and before the ack', async () => {
    const second = await takeOver();
    let before = -1;
    const upstream = await within(
      relay.arm(
        'after-write',
        runId,
        () => second.kill('SIGKILL').then(() => undefined),
        async () => {
          // The collector waits on this write: nothing else adds rows of the run meanwhile.
          before = await rowsOfRun();
        },
      ),
      30_000,
      'a write of the run by the second collector',
    );
    expect(upstream).toBeGreaterThanOrEqual(200);
    expect(upstream).toBeLessThan(300);
    expect(second.child.signalCode).toBe('SIGKILL');
    // The batch's rows are stored, and its entries are still pending: the ack never happened.
    expect(await pendingNow()).toBeGreaterThan(0);
    expect(await rowsOfRun()).toBeGreaterThan(before);
  });

  it('a third collector takes over; every event is stored exactly once', async () => {
    await takeOver();
    const load = await running;
    expect([...load.statuses.keys()]).toEqual([202]);
    expect(acceptedCount(load)).toBe(JOBS);
    await waitAllFinished(bull.queues.values(), JOBS);
    const truth = await readTruth(bull.queues, runId);
    await expectExactlyOnce(db, { runId, truth, accepted: load.accepted });
    await waitIngestDrained(stack.collectorUrl);
  });
});
