import { queueKeys } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { pollQuery, questdbClient } from '../../../../test/support/questdb.js';
import { redisAddress, sampleRedis } from '../../src/samplers/redis-info.js';
import { build } from '../helper.js';

const { config } = testConfig();

interface DepthRow extends Record<string, unknown> {
  queue: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  micros: number;
}

describe('per-second samplers', () => {
  let app: FastifyInstance | undefined;
  let db: pg.Client;
  let connection: Redis;
  let payment: Queue;
  const start = new Date(Math.floor(Date.now() / 1000) * 1000);

  beforeAll(async () => {
    db = await questdbClient(config);
    connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    // Jobs of this test's namespace only; no worker runs, so they stay where they are put.
    payment = new Queue('payment', { connection, prefix: queueKeys(config.namespace, 'payment').bullPrefix, skipMetasUpdate: true });
    await payment.addBulk([
      ...Array.from({ length: 7 }, (_, i) => ({ name: 'waiting', data: { i } })),
      ...Array.from({ length: 3 }, (_, i) => ({ name: 'delayed', data: { i }, opts: { delay: 600_000 } })),
    ]);
    app = await build(config);
  });
  afterAll(async () => {
    await app?.close();
    await payment.obliterate({ force: true });
    await payment.close();
    await connection.quit();
    await db.end();
  });

  it('writes BullMQ job counts of each queue of the namespace, one row per whole second', async () => {
    const sql = `SELECT queue, waiting, active, delayed, failed, cast(ts AS long) AS micros FROM queue_depth WHERE namespace = $1 AND ts >= $2`;
    const rows = await pollQuery<DepthRow>(
      db,
      sql,
      [config.namespace, start.toISOString()],
      (r) => r.some((x) => x.queue === 'payment' && x.waiting === 7 && x.delayed === 3),
      15_000,
    );
    const payment = rows.filter((r) => r.queue === 'payment' && r.waiting === 7);
    expect(payment[0]).toMatchObject({ waiting: 7, delayed: 3, active: 0, failed: 0 });
    // The other queues of the namespace are sampled in the same ticks, empty.
    const seconds = new Set(payment.map((r) => r.micros));
    expect(rows.filter((r) => r.queue === 'webhook' && seconds.has(r.micros)).map((r) => r.waiting)).toContain(0);
    expect(rows.filter((r) => r.queue === 'notification' && seconds.has(r.micros)).length).toBeGreaterThan(0);
    for (const r of rows) expect(r.micros % 1_000_000).toBe(0);
  });

  it('writes Redis INFO and a measured PING for this Redis', async () => {
    const sql = `SELECT ops_per_sec, used_memory_bytes, connected_clients, ping_ms FROM redis_stats WHERE redis = $1 AND ts >= $2`;
    const rows = await pollQuery<{ ops_per_sec: number; used_memory_bytes: number; connected_clients: number; ping_ms: number }>(
      db,
      sql,
      [redisAddress(config.redisUrl), start.toISOString()],
      (r) => r.length >= 2,
      15_000,
    );
    for (const r of rows) {
      expect(r.ping_ms).toBeGreaterThanOrEqual(0);
      expect(r.used_memory_bytes).toBeGreaterThan(0);
      // At least this collector's own connections.
      expect(r.connected_clients).toBeGreaterThanOrEqual(2);
      expect(r.ops_per_sec).toBeGreaterThanOrEqual(0);
    }
  });

  it('sampleRedis reads INFO of the real server; redisAddress names it host:port', async () => {
    const stats = await sampleRedis(connection);
    expect(stats.pingMs).toBeGreaterThanOrEqual(0);
    expect(stats.usedMemoryBytes).toBeGreaterThan(0);
    expect(stats.connectedClients).toBeGreaterThanOrEqual(1);
    expect(redisAddress('redis://127.0.0.1:6380/2')).toBe('127.0.0.1:6380');
    expect(redisAddress('redis://localhost')).toBe('localhost:6379');
  });

  it('the depth and redis series show the samples', async () => {
    const to = new Date(Date.now() + 1000).toISOString();
    const depth = await app!.inject({ url: `/api/v1/timeseries?metric=depth&step=1s&from=${start.toISOString()}&to=${to}` });
    expect(depth.statusCode).toBe(200);
    const d = depth.json<{ ts: number[]; series: Record<string, (number | null)[]> }>();
    expect(d.series['payment.waiting']).toContain(7);
    expect(d.series['payment.delayed']).toContain(3);
    expect(d.series['webhook.waiting']).toContain(0);
    const redis = await app!.inject({ url: `/api/v1/timeseries?metric=redis&step=5s&from=${start.toISOString()}&to=${to}` });
    const r = redis.json<{ ts: number[]; series: Record<string, (number | null)[]> }>();
    expect(r.series['redis.ping_ms']!.some((v) => v !== null && v >= 0)).toBe(true);
    expect(r.series['redis.used_memory_bytes']!.some((v) => v !== null && v > 0)).toBe(true);
  });

  it('stops on close: no tick after the app closed', async () => {
    await app!.close();
    app = undefined;
    const closedAt = Date.now();
    // A tick of a later second would be stamped after closedAt; give its rows time to be applied.
    await new Promise((r) => setTimeout(r, 2500));
    const last = await db.query<{ micros: number }>(`SELECT max(cast(ts AS long)) AS micros FROM queue_depth WHERE namespace = $1`, [
      config.namespace,
    ]);
    expect(last.rows[0]!.micros).toBeGreaterThanOrEqual(start.getTime() * 1000);
    expect(last.rows[0]!.micros).toBeLessThanOrEqual(Math.floor(closedAt / 1000) * 1_000_000);
  });
});
