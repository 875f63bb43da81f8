/**
 * Issue 10, "Dependencies down": the collector starts while its QuestDB is down. It comes up
 * (healthz 200) and says what it waits for (readyz 503 naming QuestDB; read routes 503), the
 * producer and the workers take and process jobs meanwhile, and their events wait in BullMQ's
 * streams. When QuestDB starts, the same collector process creates the schema, catches up, and
 * every event is stored exactly once.
 *
 * Real processes throughout; the QuestDB is a private one (never the shared one), started once to
 * learn its ports and killed before the collector starts, so the collector meets a QuestDB that is
 * not there and, later, one that has none of its tables.
 */
import type { IngestStatus } from '@queuescope/contracts';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, readTruth } from '../support/bullmq-truth.js';
import { testConfig, uniqueRunId } from '../support/env.js';
import { expectExactlyOnce, waitAllFinished } from '../support/invariants.js';
import { acceptedCount, FAULT_ENV, runLoad, type LoadResult } from '../support/load.js';
import { freePort, spawnService, waitFor, waitForHttp, type ServiceProcess } from '../support/processes.js';
import { PrivateQuestdb } from '../support/questdb-server.js';
import { questdbClient } from '../support/questdb.js';
import { ingestStatus, waitIngestDrained } from '../support/ingest.js';

const JOBS = 300;
const RATE = 100;

describe('the collector starts without QuestDB, and catches up once it is there', () => {
  const runId = uniqueRunId('no-questdb');
  let questdb: PrivateQuestdb;
  let env: Record<string, string>;
  let config: ReturnType<typeof testConfig>['config'];
  let collectorUrl: string;
  let producerUrl: string;
  let collector: ServiceProcess;
  const procs: ServiceProcess[] = [];
  let bull: ReturnType<typeof openQueues>;
  let db: pg.Client | undefined;
  let load: LoadResult;

  beforeAll(async () => {
    questdb = await PrivateQuestdb.start();
    await questdb.kill();
    const [collectorPort, producerPort] = [await freePort(), await freePort()];
    ({ config, env } = testConfig({
      ...FAULT_ENV,
      QUESTDB_HTTP: questdb.http,
      QUESTDB_PG: questdb.pg,
      COLLECTOR_PORT: String(collectorPort),
      PRODUCER_PORT: String(producerPort),
    }));
    // This test sends no token: its services run without one, on loopback.
    delete env.PRODUCER_API_TOKEN;
    delete env.QS_API_TOKEN;
    collectorUrl = `http://127.0.0.1:${collectorPort}`;
    producerUrl = `http://127.0.0.1:${producerPort}`;
    bull = openQueues(config);
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await db?.end().catch(() => undefined);
    await bull?.close();
    await questdb?.destroy();
  });

  const status = (): Promise<IngestStatus> => ingestStatus(collectorUrl);

  it('comes up without QuestDB: healthz 200, readyz 503 naming QuestDB, read routes 503', async () => {
    collector = spawnService('collector', env);
    procs.push(collector);
    await waitForHttp(`${collectorUrl}/healthz`, collector);
    const ready = await fetch(`${collectorUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', redis: 'ok', questdb: 'schema not migrated yet' });
    const runs = await fetch(`${collectorUrl}/api/v1/runs`);
    expect(runs.status).toBe(503);
    expect(await runs.json()).toEqual({
      statusCode: 503,
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'questdb unavailable: schema not migrated yet',
    });
  });

  it('jobs are taken and processed meanwhile; their events wait in the streams', async () => {
    for (let i = 0; i < 2; i++) procs.push(spawnService('worker', env));
    const producer = spawnService('producer', env);
    procs.push(producer);
    await waitForHttp(`${producerUrl}/readyz`, producer);
    load = await runLoad({ producerUrl, runId, jobs: JOBS, ratePerSec: RATE, clients: 20 });
    expect([...load.statuses.keys()]).toEqual([202]);
    await waitAllFinished(bull.queues.values(), JOBS);
    const s = await status();
    expect(s.totals.eventsWritten).toBe(0);
    // Every lifecycle entry of every job is still unread (at least added, active and a terminal one each).
    expect(s.totals.unread).toBeGreaterThanOrEqual(JOBS * 3);
    expect(collector.child.exitCode).toBeNull();
  });

  it('once QuestDB starts, the same process migrates, becomes ready and stores every event exactly once', async () => {
    const pid = collector.child.pid;
    await questdb.start();
    await waitFor('collector ready', async () => (await fetch(`${collectorUrl}/readyz`)).status === 200, 60_000, 250);
    expect(collector.child.pid).toBe(pid);
    expect(collector.child.exitCode).toBeNull();
    db = await questdbClient(config);
    const truth = await readTruth(bull.queues, runId);
    expect(truth.all).toHaveLength(acceptedCount(load));
    await expectExactlyOnce(db, { runId, truth, accepted: load.accepted, timeoutMs: 90_000 });
    await waitIngestDrained(collectorUrl);
    // The read routes answer again.
    expect((await fetch(`${collectorUrl}/api/v1/runs`)).status).toBe(200);
  });
});
