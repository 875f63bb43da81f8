import { connectionFor, type Config, type RedisRole } from '@queuescope/contracts';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { withTimeout } from './timeout.js';

/** What a service talks to: one Redis (`REDIS_URL`) or a Redis Cluster (`REDIS_CLUSTER_NODES`). */
export type RedisClient = Redis | Cluster;

/**
 * The one place a service opens Redis. Without `config.redisClusterNodes`: `new Redis(redisUrl, …)`
 * with the role's options (contracts/redis.ts), exactly as before. With them: an ioredis `Cluster`
 * on those seed nodes whose per-node connections get the same options; the role's offline queue
 * and reconnect delays apply to the cluster as a whole (ioredis keeps those two on the Cluster).
 * `extra` adds client options (commandTimeout, lazyConnect, enableAutoPipelining…) in both modes.
 */
export function createRedis(
  config: Pick<Config, 'redisUrl' | 'redisClusterNodes'>,
  role: RedisRole,
  extra: RedisOptions = {},
): RedisClient {
  const { retryStrategy, enableOfflineQueue, ...perNode } = connectionFor(role);
  if (config.redisClusterNodes.length === 0) return new Redis(config.redisUrl, { ...perNode, retryStrategy, enableOfflineQueue, ...extra });
  const { lazyConnect, enableAutoPipelining, ...nodeExtra } = extra;
  const options: ClusterOptions = {
    redisOptions: { ...perNode, ...nodeExtra },
    enableOfflineQueue,
    // Reconnecting to the whole cluster (every seed unreachable): the role's backoff.
    clusterRetryStrategy: (attempt) => retryStrategy(attempt),
    // A failover takes cluster-node-timeout plus an election (a few seconds here): commands meant
    // for the dead master are retried every 200 ms after a slots refresh instead of failing at once,
    // up to maxRedirections times: ~3 s for the producer (its request answers 503 by then anyway),
    // ~20 s for the patient roles, which must outlive a failover.
    retryDelayOnFailover: 200,
    maxRedirections: role === 'producer' ? 16 : 100,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 100,
    slotsRefreshInterval: 2000,
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
  };
  return new Cluster(config.redisClusterNodes, options);
}

/** true when `redis` is a Cluster client. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/** The Redis instances commands go to: every master of a Cluster, or the one Redis. */
export function masters(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/** `host:port` of one Redis connection (the `redis` symbol of `redis_stats`). */
export function nodeAddress(node: Redis): string {
  return `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`;
}

/**
 * The connection to the master that owns `key`'s slot (the Redis itself when not a Cluster), or
 * undefined while the client does not know the slot's owner yet.
 */
export function nodeForKey(redis: RedisClient, key: string): Redis | undefined {
  if (!isCluster(redis)) return redis;
  const owner = redis.slots[keySlot(key)]?.[0];
  return owner === undefined ? undefined : redis.nodes('master').find((n) => nodeAddress(n) === owner);
}

/**
 * `WAIT replicas timeoutMs` on the connection that wrote `key` (WAIT counts the writes of the
 * connection it is sent on, so it must be the slot owner's). Resolves with the replicas that
 * acknowledged; rejects when fewer did within the timeout (a message plain enough to show a client:
 * http-errors.ts publicReason).
 */
export async function waitForReplicas(redis: RedisClient, key: string, replicas: number, timeoutMs: number): Promise<number> {
  const node = nodeForKey(redis, key);
  if (!node) throw new Error(`no known master for key slot ${keySlot(key)}`);
  // A master that just died is still in the slot map until the next refresh: fail now, not later.
  if (node.status !== 'ready') throw new Error(`the master of key slot ${keySlot(key)} is not connected`);
  // WAIT answers within timeoutMs; the margin bounds a connection that stopped answering at all.
  const acked = Number(await withTimeout(node.call('WAIT', replicas, timeoutMs), timeoutMs + 1000, 'WAIT'));
  if (acked < replicas) throw new Error(`only ${acked} of ${replicas} replicas acknowledged the write within ${timeoutMs} ms`);
  return acked;
}

/** A new client with `redis`'s options (another connection, or another Cluster client on the same nodes). */
export function duplicateRedis(redis: RedisClient): RedisClient {
  return isCluster(redis) ? redis.duplicate() : redis.duplicate();
}

/** `redis.quit()`, falling back to `disconnect()`: never rejects. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/**
 * Redis Cluster hash slot of `key` (CRC16/XMODEM of its hash tag, or of the whole key, mod 16384),
 * as `CLUSTER KEYSLOT` computes it.
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  let hashed = key;
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed, 'utf8')) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % 16384;
}
