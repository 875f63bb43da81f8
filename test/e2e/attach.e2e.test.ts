/**
 * Capture of an unchanged BullMQ application (DESIGN: "the same collector captures any BullMQ
 * application"): fixtures/plain-bullmq-app.mjs imports nothing from this repo and uses its own
 * prefixes, queue names and worker names. A collector started with
 * COLLECTOR_ATTACH=`<prefixA>:*,<prefixB>:orders` must store, for every queue under prefix A
 * (found by discovery) and for prefix B's `orders` only, exactly the rows BullMQ's records
 * imply, with run_id taken from the job data and worker from the Worker's `name`; prefix B's other
 * queue is not captured.
 */
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPlainQueues, readTruth, type OpenQueues } from '../support/bullmq-truth.js';
import { testConfig, uniqueRunId } from '../support/env.js';
import { expectExactlyOnce, waitAllFinished } from '../support/invariants.js';
import { freePort, spawnScript, spawnService, waitFor, waitForHttp, type ServiceProcess } from '../support/processes.js';
import { pollQuery, questdbClient } from '../support/questdb.js';

const APP = 'test/e2e/fixtures/plain-bullmq-app.mjs';
const JOBS = 200;

describe('attach: a plain BullMQ app captured unchanged through COLLECTOR_ATTACH', () => {
  const runId = uniqueRunId('attach');
  const prefixA = `plain-${randomUUID().slice(0, 8)}`;
  const prefixB = `plainb-${randomUUID().slice(0, 8)}`;
  const queuesA = ['emails', 'images'];
  const queuesB = ['orders', 'ignored'];
  let config: ReturnType<typeof testConfig>['config'];
  let collectorUrl: string;
  let db: pg.Client;
  let appA: OpenQueues;
  let appB: OpenQueues;
  const procs: ServiceProcess[] = [];
  let ids: Record<string, string[]> = {};

  const appEnv = (prefix: string, queues: string[], extra: Record<string, string>): Record<string, string> => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    APP_REDIS_URL: config.redisUrl,
    APP_PREFIX: prefix,
    APP_QUEUES: queues.join(','),
    APP_RUN_ID: runId,
    ...extra,
  });

  beforeAll(async () => {
    const port = await freePort();
    let env: Record<string, string>;
    ({ config, env } = testConfig({ COLLECTOR_PORT: String(port), COLLECTOR_ATTACH: `${prefixA}:*,${prefixB}:orders` }));
    collectorUrl = `http://127.0.0.1:${port}`;
    db = await questdbClient(config);
    appA = openPlainQueues(config.redisUrl, prefixA, queuesA);
    appB = openPlainQueues(config.redisUrl, prefixB, queuesB);
    // The app's workers first (their Worker writes each queue's meta key, which discovery finds).
    for (const [prefix, queues, name] of [
      [prefixA, queuesA, 'plain-worker-a'],
      [prefixB, queuesB, 'plain-worker-b'],
    ] as const) {
      const worker = spawnScript(APP, appEnv(prefix, [...queues], { APP_WORKER_NAME: name, APP_FAILURE_RATE: '0.2' }), ['work']);
      procs.push(worker);
      await waitFor(`${name} ready`, () => /^ready$/m.test(worker.output()) || worker.child.exitCode !== null, 30_000);
      expect(worker.child.exitCode, worker.output()).toBeNull();
    }
    const collector = spawnService('collector', env);
    procs.push(collector);
    await waitForHttp(`${collectorUrl}/readyz`, collector);
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await db?.end();
    for (const app of [appA, appB]) {
      if (!app) continue;
      for (const q of app.queues.values()) await q.obliterate({ force: true }).catch(() => undefined);
      await app.close();
    }
  });

  it("the collector finds prefix A's queues and prefix B's orders, and nothing else of B", async () => {
    type Status = { streams: { streamKey: string; queue: string; kind: string }[] };
    let keys: string[] = [];
    await waitFor(
      'attached streams listed in ingest status',
      async () => {
        const status = (await (await fetch(`${collectorUrl}/api/v1/ingest/status`)).json()) as Status;
        keys = status.streams.map((s) => s.streamKey);
        return [...queuesA.map((q) => `${prefixA}:${q}:events`), `${prefixB}:orders:events`].every((k) => keys.includes(k));
      },
      20_000,
    );
    expect(keys).not.toContain(`${prefixB}:ignored:events`);
  });

  it('the plain app adds and works its jobs', async () => {
    for (const [prefix, queues] of [
      [prefixA, queuesA],
      [prefixB, queuesB],
    ] as const) {
      const producer = spawnScript(APP, appEnv(prefix, [...queues], { APP_JOBS: String(JOBS) }), ['produce']);
      expect(await producer.exited, producer.output()).toBe(0);
      ids = { ...ids, ...(JSON.parse(producer.output().trim().split('\n').at(-1)!) as Record<string, string[]>) };
    }
    for (const q of [...queuesA, ...queuesB]) expect(ids[q]?.length).toBe(JOBS);
    await waitAllFinished([...appA.queues.values(), ...appB.queues.values()], JOBS * 4);
  });

  it("QuestDB holds exactly the rows BullMQ's records imply, with run_id from the data and the Worker name", async () => {
    const captured = new Map<string, Queue>([...appA.queues, ['orders', appB.queues.get('orders')!]]);
    const truth = await readTruth(captured, runId);
    expect(truth.all.length).toBe(JOBS * 3);
    expect(truth.counts['emails/retried'] ?? 0).toBeGreaterThan(0);
    const accepted = new Map(['emails', 'images', 'orders'].map((q) => [q, ids[q]!]));
    // Also fails on any row of prefix B's `ignored` queue: a job BullMQ's captured queues do not have.
    const rows = await expectExactlyOnce(db, { runId, truth, accepted });
    const wrongWorker = rows.filter(
      (r) => r.event !== 'added' && r.worker !== (r.queue === 'orders' ? 'plain-worker-b' : 'plain-worker-a'),
    );
    expect(wrongWorker.slice(0, 5)).toEqual([]);
    const names = await pollQuery<{ job_name: string; n: number }>(
      db,
      `SELECT job_name, count() AS n FROM job_events WHERE run_id = $1 GROUP BY job_name`,
      [runId],
      () => true,
    );
    expect(names.map((r) => r.job_name)).toEqual(['task']);
  });
});
