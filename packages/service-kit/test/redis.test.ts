import { connectionFor } from '@queuescope/contracts';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedis, isCluster, keySlot, masters, nodeForKey } from '../src/redis.js';

describe('keySlot', () => {
  it('is CRC16/XMODEM mod 16384, as CLUSTER KEYSLOT says (values from the Redis cluster spec and redis-cli)', () => {
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('')).toBe(0);
  });

  it('hashes only the first non-empty hash tag', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('{qs:payment}:payment:events')).toBe(keySlot('{qs:payment}:payment:wait'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });
});

describe('createRedis', () => {
  it('without cluster nodes: one Redis at redisUrl with the role options, unchanged', () => {
    const redis = createRedis({ redisUrl: 'redis://127.0.0.1:6399/0', redisClusterNodes: [] }, 'worker', { lazyConnect: true });
    try {
      expect(redis).toBeInstanceOf(Redis);
      expect(isCluster(redis)).toBe(false);
      const o = (redis as Redis).options;
      const want = connectionFor('worker');
      expect([o.port, o.maxRetriesPerRequest, o.enableOfflineQueue, o.connectTimeout, o.retryStrategy?.(3)]).toEqual([
        6399,
        want.maxRetriesPerRequest,
        want.enableOfflineQueue,
        want.connectTimeout,
        want.retryStrategy(3),
      ]);
      expect(masters(redis)).toEqual([redis]);
      expect(nodeForKey(redis, 'any')).toBe(redis);
    } finally {
      redis.disconnect();
    }
  });

  it('with cluster nodes: a Cluster whose nodes get the role options (BullMQ workers need maxRetriesPerRequest null)', () => {
    const redis = createRedis({ redisUrl: 'redis://unused', redisClusterNodes: [{ host: '127.0.0.1', port: 7999 }] }, 'producer', {
      lazyConnect: true,
      commandTimeout: 3000,
    });
    try {
      expect(redis).toBeInstanceOf(Cluster);
      const o = (redis as Cluster).options;
      expect(o.enableOfflineQueue).toBe(false);
      expect(o.lazyConnect).toBe(true);
      expect(o.redisOptions).toMatchObject({ maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 3000 });
      const worker = createRedis({ redisUrl: 'redis://unused', redisClusterNodes: [{ host: '127.0.0.1', port: 7999 }] }, 'worker', {
        lazyConnect: true,
      });
      expect((worker as Cluster).options.redisOptions?.maxRetriesPerRequest).toBeNull();
      worker.disconnect();
    } finally {
      redis.disconnect();
    }
  });
});
