/**
 * DESIGN invariant 2 for the collector: SIGKILL it mid-batch, start a new one, and every event
 * is stored exactly once — the entries it had read but not acknowledged are reclaimed from Redis
 * and re-written, and QuestDB's dedup keys absorb the rows it had already written.
 */
import { COLLECTOR_GROUP, QUEUE_NAMES, encodeEntry, queueKeys, type JobEvent } from '@queuescope/contracts';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../support/env.js';
import { freePort, spawnService, waitFor, waitForHttp, type ServiceProcess } from '../support/processes.js';
import { pollQuery, questdbClient } from '../support/questdb.js';

const EVENTS_PER_QUEUE = 40_000;
const EVENTS_PER_ENTRY = 250;

describe('collector killed with SIGKILL mid-batch', () => {
  const runId = uniqueRunId('collector-kill');
  let env: Record<string, string>;
  let config: ReturnType<typeof testConfig>['config'];
  let redis: Redis;
  let db: pg.Client;
  let statusUrl: string;
  const procs: ServiceProcess[] = [];

  beforeAll(async () => {
    const port = await freePort();
    ({ config, env } = testConfig({
      COLLECTOR_PORT: String(port),
      COLLECTOR_BATCH_SIZE: '8',
      COLLECTOR_CLAIM_IDLE_MS: '1000',
      COLLECTOR_CLAIM_INTERVAL_MS: '500',
    }));
    statusUrl = `http://127.0.0.1:${port}/api/v1/ingest/status`;
    redis = new Redis(config.redisUrl);
    db = await questdbClient(config);
    // Fill the streams before any collector runs, as a backlog after an outage would.
    const base = Date.now() * 1000;
    for (const queue of QUEUE_NAMES) {
      const key = queueKeys(config.namespace, queue).events;
      const pipeline = redis.pipeline();
      for (let start = 0; start < EVENTS_PER_QUEUE; start += EVENTS_PER_ENTRY) {
        const events: JobEvent[] = [];
        for (let i = start; i < start + EVENTS_PER_ENTRY; i++) {
          events.push({ ts: base + i, run_id: runId, queue, event: 'completed', job_id: `${queue}-${i}`, job_name: 'synthetic', attempt: 1, worker: 'test:1', run_ms: i % 100, latency_ms: i % 200 });
        }
        pipeline.xadd(key, '*', ...encodeEntry(events));
      }
      await pipeline.exec();
    }
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await redis.quit();
    await db.end();
  });

  const pendingNow = async (): Promise<number> => {
    let total = 0;
    for (const queue of QUEUE_NAMES) {
      const summary = (await redis.xpending(queueKeys(config.namespace, queue).events, COLLECTOR_GROUP)) as [number];
      total += Number(summary[0]);
    }
    return total;
  };

  it('is killed while it holds read-but-unacknowledged entries', async () => {
    const first = spawnService('collector', env);
    procs.push(first);
    // Kill it the moment it holds read-but-unacknowledged entries: a batch it is writing.
    await waitFor('first collector holds a batch in hand', async () => (await pendingNow().catch(() => 0)) > 0, 60_000, 2);
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    // Entries it had read and not acknowledged: the batch it died in.
    expect(await pendingNow()).toBeGreaterThan(0);
  });

  it('a new collector reclaims them; every event is stored exactly once', async () => {
    const second = spawnService('collector', env);
    procs.push(second);
    await waitForHttp(statusUrl, second);
    await waitFor('streams drained and nothing pending', async () => {
      const lengths = await Promise.all(QUEUE_NAMES.map((q) => redis.xlen(queueKeys(config.namespace, q).events)));
      return lengths.every((n) => n === 0) && (await pendingNow()) === 0;
    }, 90_000);
    const expected = QUEUE_NAMES.length * EVENTS_PER_QUEUE;
    await pollQuery<{ n: number }>(db, `SELECT count() AS n FROM job_events WHERE run_id = $1`, [runId], (r) => r[0]?.n === expected, 60_000);
    const distinct = await db.query<{ n: number }>(`SELECT count_distinct(job_id) AS n FROM job_events WHERE run_id = $1`, [runId]);
    expect(distinct.rows[0]?.n).toBe(expected);
    const status = (await (await fetch(statusUrl)).json()) as { streams: { entriesReclaimed: number }[] };
    expect(status.streams.reduce((n, s) => n + s.entriesReclaimed, 0)).toBeGreaterThan(0);
  });
});
