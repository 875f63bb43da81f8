/**
 * Fault matrix (issue #8), DESIGN invariant 3: loss is never silent. A queue whose events stream
 * keeps only ~100 entries (`streams.events.maxLen`), a collector that has read everything and is
 * then SIGKILLed, jobs added while no collector runs so BullMQ trims entries nobody read, then a
 * new collector. The exact number trimmed unread, computed here from Redis before the new
 * collector starts, must appear in ingest status, in `/metrics` and in `capture_gaps`; and every
 * entry still in the stream is stored.
 *
 * History from before a collector first read a stream is not a gap (the group starts at what the
 * stream still holds), which is why the first collector reads once before the gap is made.
 */
import { COLLECTOR_GROUP, bullmqKeys, queueKeys } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../support/env.js';
import { freePort, spawnService, waitFor, waitForHttp, type ServiceProcess } from '../support/processes.js';
import { pollQuery, questdbClient } from '../support/questdb.js';

const MAX_LEN = 100;
const BEFORE = 50;
const DURING = 600;

type Flat = (string | number | null | Flat)[];
const record = (flat: Flat): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
};

interface StreamView {
  entriesAdded: number;
  length: number;
  entriesRead: number;
  lastDelivered: string;
  pending: number;
}

describe('a trimmed gap is reported with the exact count', () => {
  const runId = uniqueRunId('capture-gap');
  let env: Record<string, string>;
  let config: ReturnType<typeof testConfig>['config'];
  let redis: Redis;
  let queue: Queue;
  let db: pg.Client;
  let baseUrl: string;
  let streamKey: string;
  const procs: ServiceProcess[] = [];
  let expectedLost = 0;
  /** `added` entries still in the stream when the second collector starts (unread, not trimmed). */
  let addedKept = 0;

  beforeAll(async () => {
    const port = await freePort();
    ({ config, env } = testConfig({ COLLECTOR_PORT: String(port), COLLECTOR_LEASE_MS: '1000', EVENTS_MAX_LEN: String(MAX_LEN) }));
    baseUrl = `http://127.0.0.1:${port}`;
    streamKey = queueKeys(config.namespace, 'payment').events;
    redis = new Redis(config.redisUrl);
    // A plain BullMQ producer with a tiny events stream; no worker, so jobs stay waiting.
    queue = new Queue('payment', {
      connection: new Redis(config.redisUrl, { maxRetriesPerRequest: null }),
      prefix: queueKeys(config.namespace, 'payment').bullPrefix,
      streams: { events: { maxLen: MAX_LEN } },
    });
    await queue.waitUntilReady();
    db = await questdbClient(config);
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await queue?.close();
    await redis?.quit();
    await db?.end();
  });

  const view = async (): Promise<StreamView> => {
    const stream = record((await redis.xinfo('STREAM', streamKey)) as Flat);
    const group = ((await redis.xinfo('GROUPS', streamKey)) as Flat[]).map(record).find((g) => g.name === COLLECTOR_GROUP);
    if (!group) throw new Error(`no group ${COLLECTOR_GROUP} on ${streamKey}`);
    return {
      entriesAdded: Number(stream['entries-added']),
      length: Number(stream.length),
      entriesRead: Number(group['entries-read']),
      lastDelivered: String(group['last-delivered-id']),
      pending: Number(group.pending),
    };
  };
  const addJobs = async (n: number, from: number): Promise<void> => {
    for (let i = 0; i < n; i += 50) {
      await queue.addBulk(Array.from({ length: Math.min(50, n - i) }, (_, k) => ({ name: 'charge', data: { runId, i: from + i + k } })));
    }
  };

  it('a first collector reads and acknowledges everything, then is SIGKILLed', async () => {
    const first = spawnService('collector', env);
    procs.push(first);
    await waitForHttp(`${baseUrl}/readyz`, first);
    // Observing must not change the observed app: the stream cap is the app's setting, and a
    // collector that resets it (a BullMQ Queue opened without skipMetasUpdate writes 10000) changes
    // how much history BullMQ keeps.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await redis.hget(bullmqKeys(queueKeys(config.namespace, 'payment').bullPrefix, 'payment').meta, 'opts.maxLenEvents')).toBe(
      String(MAX_LEN),
    );
    await addJobs(BEFORE, 0);
    await waitFor(
      'all entries read and acknowledged',
      async () => {
        const v = await view().catch(() => undefined);
        return v !== undefined && v.entriesRead === v.entriesAdded && v.pending === 0;
      },
      20_000,
    );
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
  });

  it('jobs added with no collector running make BullMQ trim entries nobody read', async () => {
    const atKill = await view();
    await addJobs(DURING, BEFORE);
    const now = await view();
    expect(now.lastDelivered).toBe(atKill.lastDelivered);
    // Independently of the group's counter: entries added since the kill, minus those still there.
    const kept = await redis.xrange(streamKey, `(${atKill.lastDelivered}`, '+');
    const trimmedUnread = now.entriesAdded - atKill.entriesAdded - kept.length;
    // And as Redis counts it (what the design relies on): added − length − entries-read.
    expectedLost = now.entriesAdded - now.length - now.entriesRead;
    expect(expectedLost).toBe(trimmedUnread);
    expect(expectedLost).toBeGreaterThan(0);
    expect(now.length).toBeLessThan(DURING * 2);
    addedKept = kept.filter(([, fields]) => fields[0] === 'event' && fields[1] === 'added').length;
  });

  it('a new collector reports exactly that many lost in ingest status, /metrics and capture_gaps', async () => {
    const second = spawnService('collector', env);
    procs.push(second);
    await waitForHttp(`${baseUrl}/readyz`, second);
    type Status = {
      streams: { streamKey: string; lostEvents: number; warnings: string[] }[];
      totals: { lostEvents: number; unread: number; pending: number };
    };
    let status: Status | undefined;
    await waitFor(
      'the gap is detected and the stream drained',
      async () => {
        status = (await (await fetch(`${baseUrl}/api/v1/ingest/status`)).json()) as Status;
        return status.totals.lostEvents > 0 && status.totals.unread === 0 && status.totals.pending === 0;
      },
      20_000,
    );
    const stream = status!.streams.find((s) => s.streamKey === streamKey)!;
    expect(stream.lostEvents).toBe(expectedLost);
    expect(status!.totals.lostEvents).toBe(expectedLost);
    expect(stream.warnings.join(' ')).toMatch(/trimmed/);

    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith(`queuescope_capture_lost_events{stream="${streamKey}"}`));
    expect(line, metrics.slice(0, 3000)).toBeDefined();
    expect(Number(line!.split(' ').at(-1))).toBe(expectedLost);

    const gaps = await pollQuery<{ lost: number; n: number }>(
      db,
      `SELECT sum(lost) AS lost, count() AS n FROM capture_gaps WHERE stream = $1`,
      [streamKey],
      (r) => Number(r[0]?.lost) === expectedLost,
      30_000,
    );
    expect(Number(gaps[0]!.n)).toBe(1);
  });

  it('every job whose added entry was not trimmed has its one added row', async () => {
    const sql = `SELECT count() AS n, count_distinct(job_id) AS jobs FROM job_events WHERE run_id = $1 AND event = 'added'`;
    const rows = await pollQuery<{ n: number; jobs: number }>(db, sql, [runId], (r) => Number(r[0]?.n) === BEFORE + addedKept, 30_000);
    expect(Number(rows[0]!.jobs)).toBe(BEFORE + addedKept);
  });
});
