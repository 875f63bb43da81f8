/**
 * Fault matrix (issue #8), QuestDB: SIGKILL a private QuestDB (never the shared one) while the
 * stack runs under load, keep it down a few seconds, restart it on the same ports and data. The
 * collector's write cannot complete meanwhile; its entries stay pending in Redis until QuestDB
 * takes them, so after recovery every event is stored exactly once. Meanwhile the collector keeps
 * running (same process) and its read routes answer 503 naming QuestDB (issue 10: never 500, and
 * never the driver's text with QuestDB's address).
 */
import type { IngestStatus } from '@queuescope/contracts';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, readTruth } from '../support/bullmq-truth.js';
import { uniqueRunId } from '../support/env.js';
import { expectExactlyOnce, waitAllFinished } from '../support/invariants.js';
import { acceptedCount, FAULT_ENV, newProgress, runLoad, type LoadResult } from '../support/load.js';
import { waitFor } from '../support/processes.js';
import { PrivateQuestdb } from '../support/questdb-server.js';
import { questdbClient } from '../support/questdb.js';
import { startStack, type TestStack } from '../support/stack.js';
import { REDIS_TARGETS, useTarget } from '../support/cluster.js';
import { ingestStatus, waitIngestDrained } from '../support/ingest.js';

const JOBS = 1800;
const RATE = 150;
const DOWN_MS = 4000;

describe.each(REDIS_TARGETS)('fault: QuestDB SIGKILLed and restarted while the stack runs, on $redis', (target) => {
  let redis: ReturnType<typeof useTarget> | undefined;
  const runId = uniqueRunId('fault-questdb');
  let questdb: PrivateQuestdb;
  let stack: TestStack;
  let db: pg.Client | undefined;
  let bull: ReturnType<typeof openQueues>;
  let load: LoadResult;

  beforeAll(async () => {
    // Before the collector: it creates the tables at start.
    questdb = await PrivateQuestdb.start();
    redis = useTarget(target);
    stack = await startStack({ ...FAULT_ENV, ...redis.env, QUESTDB_HTTP: questdb.http, QUESTDB_PG: questdb.pg }, 3);
    bull = openQueues(stack.config);
  });

  afterAll(async () => {
    await stack?.stop('SIGKILL');
    await db?.end().catch(() => undefined);
    await bull?.close();
    await questdb?.destroy();
    redis?.release();
  });

  const status = (): Promise<IngestStatus> => ingestStatus(stack.collectorUrl);

  /** Every read route that needs QuestDB, with what it answered now. */
  const readRoutes = async (): Promise<{ url: string; status: number; body: string; ms: number }[]> =>
    Promise.all(
      [
        '/api/v1/runs',
        `/api/v1/runs/${runId}`,
        `/api/v1/runs/${runId}/summary`,
        `/api/v1/runs/${runId}/timeseries?metric=latency`,
        `/api/v1/runs/${runId}/diagnosis`,
        `/api/v1/runs/${runId}/events`,
        '/readyz',
      ].map(async (url) => {
        const started = Date.now();
        const res = await fetch(`${stack.collectorUrl}${url}`, { signal: AbortSignal.timeout(15_000) });
        return { url, status: res.status, body: await res.text(), ms: Date.now() - started };
      }),
    );

  it('holds the batch through the outage: entries stay pending, nothing is acknowledged', async () => {
    const progress = newProgress();
    const running = runLoad({ producerUrl: stack.producerUrl, runId, jobs: JOBS, ratePerSec: RATE, clients: 30, progress });
    await waitFor(
      'a quarter of the load accepted and some rows stored',
      async () => progress.accepted >= JOBS / 4 && (await status()).totals.eventsWritten > 0,
      30_000,
      20,
    );
    await questdb.kill();
    const down = Date.now();
    await waitFor('the collector holds read entries it cannot store', async () => (await status()).totals.pending > 0, 10_000);
    const during = await status();
    // Every read route answers 503 naming QuestDB, promptly, with a reason and nothing of the driver's text.
    for (const r of await readRoutes()) {
      expect(r.status, `${r.url}: ${r.body}`).toBe(503);
      expect(r.body, r.url).toMatch(/questdb/);
      expect(r.body, r.url).not.toMatch(new RegExp(`ECONN|127\\.0\\.0\\.1|${questdb.pgPort}|${questdb.httpPort}|at .*\\.(ts|js):\\d+`));
      expect(r.ms, r.url).toBeLessThan(5000);
    }
    const ready = (await (await fetch(`${stack.collectorUrl}/readyz`)).json()) as Record<string, string>;
    expect(ready).toEqual({
      status: 'unavailable',
      redis: 'ok',
      questdb: expect.stringMatching(/^(connection refused|connection lost|no connection in time)$/),
    });
    expect((await fetch(`${stack.collectorUrl}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(1000, DOWN_MS - (Date.now() - down))));
    const later = await status();
    // Nothing was stored or acknowledged while QuestDB was away; events kept coming (unread grows).
    expect(later.totals.eventsWritten).toBe(during.totals.eventsWritten);
    expect(later.totals.pending).toBeGreaterThanOrEqual(during.totals.pending);
    expect(later.totals.unread).toBeGreaterThan(during.totals.unread);
    await questdb.start();
    load = await running;
    // The producer does not need QuestDB: every request was accepted.
    expect([...load.statuses.keys()]).toEqual([202]);
    expect(acceptedCount(load)).toBe(JOBS);
  });

  it('the same collector process recovers on its own: ready again, read routes answer', async () => {
    const collector = stack.procs[0]!;
    await waitFor('collector ready again', async () => (await fetch(`${stack.collectorUrl}/readyz`)).status === 200, 60_000);
    expect(collector.child.exitCode).toBeNull();
    for (const r of await readRoutes()) expect([200, 404], `${r.url}: ${r.body}`).toContain(r.status);
  });

  it('after the restart every event is stored exactly once', async () => {
    db = await questdbClient(stack.config);
    await waitAllFinished(bull.queues.values(), JOBS);
    const truth = await readTruth(bull.queues, runId);
    await expectExactlyOnce(db, { runId, truth, accepted: load.accepted, timeoutMs: 90_000 });
    await waitIngestDrained(stack.collectorUrl);
  });
});
