import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { boundedRead } from '../../src/samplers/bounded-read.js';

const { config } = testConfig();

describe('boundedRead', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    await redis.ping();
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('returns what the read returns', async () => {
    expect(await boundedRead('ping', redis, () => redis.ping())).toBe('PONG');
  });

  it('fails fast, naming what, when the connection is not ready (nothing joins the offline queue)', async () => {
    const idle = new Redis(config.redisUrl, { lazyConnect: true });
    let called = false;
    await expect(
      boundedRead('queue depth', idle, async () => {
        called = true;
        return idle.ping();
      }),
    ).rejects.toThrow('queue depth: redis connection is wait');
    expect(called).toBe(false);
    idle.disconnect();
  });

  it('fails a read slower than the timeout, naming what', async () => {
    const started = Date.now();
    // BLPOP on a key nobody pushes to blocks for its whole 1 s timeout.
    await expect(boundedRead('redis info', redis, () => redis.blpop(`bounded-read-${process.pid}-${Date.now()}`, 1), 100)).rejects.toThrow(
      /^redis info: /,
    );
    expect(Date.now() - started).toBeLessThan(900);
  });
});
