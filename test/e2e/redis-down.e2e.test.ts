/**
 * With Redis stopped the producer answers 503 with a reason, and nothing it acknowledged before
 * is lost: every 202'd job and its `added` event are still there when Redis comes back.
 */
import { decodeEntry, queueKeys } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../../services/producer/test/helper.js';
import { testConfig, uniqueRunId } from '../support/env.js';
import { waitFor } from '../support/processes.js';
import { PrivateRedis } from '../support/redis-server.js';

describe('producer with Redis down', () => {
  let redis: PrivateRedis;
  let app: FastifyInstance;
  let config: ReturnType<typeof testConfig>['config'];
  const runId = uniqueRunId('redis-down');
  const acknowledged: string[] = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    ({ config } = testConfig({ REDIS_URL: redis.url }));
    app = await build(config);
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  const enqueue = () =>
    app.inject({
      method: 'POST',
      url: '/api/v1/queues/payment/jobs',
      headers: { 'content-type': 'application/json', 'x-run-id': runId },
      payload: JSON.stringify({ name: 'charge', data: { n: acknowledged.length } }),
    });

  it('accepts jobs while Redis is up', async () => {
    for (let i = 0; i < 50; i++) {
      const res = await enqueue();
      expect(res.statusCode).toBe(202);
      acknowledged.push(res.json().jobId);
    }
  });

  it('answers 503 naming Redis while it is stopped, quickly, and readyz says so', async () => {
    await redis.stop();
    const started = Date.now();
    const res = await enqueue();
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/redis unavailable/i);
    expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(Date.now() - started).toBeLessThan(5000);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
  });

  it('after Redis restarts, every acknowledged job and its added event are still there, and new jobs are accepted', async () => {
    await redis.start();
    await waitFor('producer reconnected', async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200, 20_000);
    const queue = new Queue('payment', { connection: { url: redis.url }, prefix: queueKeys(config.namespace, 'payment').bullPrefix });
    const jobs = await Promise.all(acknowledged.map((id) => queue.getJob(id)));
    await queue.close();
    expect(jobs.filter((j) => !j).length).toBe(0);
    const client = new Redis(redis.url);
    const entries = await client.xrange(queueKeys(config.namespace, 'payment').events, '-', '+');
    await client.quit();
    const added = entries.flatMap(([, fields]) => decodeEntry(fields)).filter((e) => e.event === 'added').map((e) => e.job_id);
    expect(new Set(added)).toEqual(new Set(acknowledged));
    expect((await enqueue()).statusCode).toBe(202);
  });
});
