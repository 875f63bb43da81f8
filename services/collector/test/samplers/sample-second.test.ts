import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { pollQuery } from '../../../../test/support/questdb.js';
import { IlpClient } from '../../src/db/ilp.js';
import { QueueDepthSampler } from '../../src/samplers/queue-depth.js';
import { sampleSecond, type SecondSources } from '../../src/samplers/sample-second.js';
import { useCollector } from '../helper.js';

const { config } = testConfig();

describe('sampleSecond', () => {
  // The collector makes the tables (ILP must not); the samples below use their own namespace and redis label.
  const ctx = useCollector(config);
  let redis: Redis;
  let questdb: IlpClient;
  const open: QueueDepthSampler[] = [];
  beforeAll(async () => {
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    await redis.ping();
    questdb = IlpClient.fromConf(config.questdb.ilpConf);
  });
  afterAll(async () => {
    await Promise.all(open.map((d) => d.close()));
    questdb.close();
    await redis.quit();
  });

  const sources = (): SecondSources => {
    const namespace = `ns-${randomUUID()}`;
    const depth = new QueueDepthSampler(redis, namespace, () => undefined);
    open.push(depth);
    return { depth, depthConnection: redis, namespace, redis, address: `test-${randomUUID()}`, questdb };
  };
  const depthRows = (namespace: string, second: number) =>
    ctx.db.query(`SELECT queue FROM queue_depth WHERE namespace = $1 AND ts = $2`, [namespace, new Date(second * 1000).toISOString()]);

  it('writes one queue_depth row per queue and one redis_stats row, stamped with the second', async () => {
    const src = sources();
    const second = Math.floor(Date.now() / 1000) - 5;
    expect(await sampleSecond(src, second)).toEqual([]);
    const stats = await pollQuery<{ micros: number }>(
      ctx.db,
      `SELECT cast(ts AS long) AS micros FROM redis_stats WHERE redis = $1`,
      [src.address],
      (r) => r.length === 1,
    );
    expect(stats[0]!.micros).toBe(second * 1_000_000);
    const depth = await pollQuery<{ queue: string }>(
      ctx.db,
      `SELECT queue FROM queue_depth WHERE namespace = $1 AND ts = $2`,
      [src.namespace, new Date(second * 1000).toISOString()],
      (r) => r.length === 3,
    );
    expect(depth.map((r) => r.queue).sort()).toEqual(['notification', 'payment', 'webhook']);
  });

  it('still writes the Redis stats when the depth read fails, and names the problem', async () => {
    // The depth connection as the plugin sees it while Redis is away: not ready (never connected).
    const idle = new Redis(config.redisUrl, { lazyConnect: true });
    try {
      const src = { ...sources(), depthConnection: idle };
      const second = Math.floor(Date.now() / 1000) - 5;
      expect(await sampleSecond(src, second)).toEqual(['queue depth: redis connection is wait']);
      await pollQuery(ctx.db, `SELECT ts FROM redis_stats WHERE redis = $1`, [src.address], (r) => r.length === 1);
      expect((await depthRows(src.namespace, second)).rows).toEqual([]);
    } finally {
      idle.disconnect();
    }
  });

  it('reports a QuestDB that refuses the write, and never rejects', async () => {
    const src = { ...sources(), questdb: IlpClient.fromConf('http::addr=127.0.0.1:9;') };
    try {
      const problems = await sampleSecond(src, Math.floor(Date.now() / 1000));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^questdb: /);
    } finally {
      src.questdb.close();
    }
  });
});
