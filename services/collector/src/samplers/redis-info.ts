import { performance } from 'node:perf_hooks';
import type { Config } from '@queuescope/contracts';
import { isCluster, masters, nodeAddress, type RedisClient } from '@queuescope/service-kit';
import type { Redis } from 'ioredis';
import type { IlpLines } from '../db/ilp.js';

/** What one sample says about the Redis server. */
export interface RedisStats {
  /** `instantaneous_ops_per_sec` from INFO stats: Redis' own recent average, commands/s. */
  opsPerSec: number;
  /** `used_memory` from INFO memory, bytes. */
  usedMemoryBytes: number;
  /** `connected_clients` from INFO clients. */
  connectedClients: number;
  /** PING round trip measured here (queueing in the client included), ms. */
  pingMs: number;
}

/** `redis://host:port/…` → `host:port` (port 6379 when the URL has none): the `redis` symbol of `redis_stats`. */
export function redisAddress(redisUrl: string): string {
  const url = new URL(redisUrl);
  return `${url.hostname}:${url.port || '6379'}`;
}

/** `redis_stats.redis` of a Cluster's sum row (each master also has its own `host:port` row). */
export const CLUSTER_SUM = 'cluster';

/**
 * The `redis_stats.redis` value that stands for the whole Redis the config names: its `host:port`
 * (redisAddress), or {@link CLUSTER_SUM} on a Cluster. What the dashboard's redis series read.
 */
export function redisStatsName(config: Pick<Config, 'redisUrl' | 'redisClusterNodes'>): string {
  return config.redisClusterNodes.length > 0 ? CLUSTER_SUM : redisAddress(config.redisUrl);
}

/** INFO text (`key:value` lines, `#` section headers) → a map of its fields. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) fields.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return fields;
}

function numberField(fields: Map<string, string>, name: string): number {
  const value = Number(fields.get(name));
  if (!Number.isFinite(value)) throw new Error(`INFO has no numeric '${name}'`);
  return value;
}

/** Measure one PING, then read INFO (default sections hold stats, memory and clients). */
export async function sampleRedis(redis: Redis): Promise<RedisStats> {
  const start = performance.now();
  await redis.ping();
  const pingMs = performance.now() - start;
  const fields = parseInfo(await redis.info());
  return {
    opsPerSec: numberField(fields, 'instantaneous_ops_per_sec'),
    usedMemoryBytes: numberField(fields, 'used_memory'),
    connectedClients: numberField(fields, 'connected_clients'),
    pingMs,
  };
}

/**
 * One sample per Redis that holds data: the one Redis, named `single` (its redisAddress), or every
 * master of a Cluster (by `host:port`, read side by side) plus their sum named {@link CLUSTER_SUM}
 * (ops/s, memory and clients added up; PING the slowest master's). Rejects when any read fails.
 */
export async function sampleRedisNodes(redis: RedisClient, single: string): Promise<{ name: string; stats: RedisStats }[]> {
  if (!isCluster(redis)) return [{ name: single, stats: await sampleRedis(redis) }];
  const nodes = masters(redis);
  if (nodes.length === 0) throw new Error('no cluster master known yet');
  const perNode = await Promise.all(nodes.map(async (n) => ({ name: nodeAddress(n), stats: await sampleRedis(n) })));
  const sum: RedisStats = { opsPerSec: 0, usedMemoryBytes: 0, connectedClients: 0, pingMs: 0 };
  for (const { stats } of perNode) {
    sum.opsPerSec += stats.opsPerSec;
    sum.usedMemoryBytes += stats.usedMemoryBytes;
    sum.connectedClients += stats.connectedClients;
    sum.pingMs = Math.max(sum.pingMs, stats.pingMs);
  }
  return [...perNode, { name: CLUSTER_SUM, stats: sum }];
}

/**
 * Buffers one `redis_stats` row into `lines` (no flush: the caller flushes the tick). `tsMicros`
 * is the sampled second in epoch µs; dedup keys (ts, redis) keep one row per second per server.
 */
export function bufferRedisStats(lines: IlpLines, tsMicros: number, redis: string, s: RedisStats): void {
  lines
    .row('redis_stats')
    .symbol('redis', redis)
    .float('ops_per_sec', s.opsPerSec)
    .int('used_memory_bytes', s.usedMemoryBytes)
    .int('connected_clients', s.connectedClients)
    .float('ping_ms', s.pingMs)
    .at(tsMicros);
}

/** Redis memory against its limit (INFO memory), bytes. */
export interface RedisMemory {
  /** `used_memory`. */
  usedBytes: number;
  /** `maxmemory`; 0 means no limit (then Redis grows until the host runs out). */
  maxBytes: number;
}

/**
 * Read `INFO memory`: what Redis uses and its `maxmemory`. On a Cluster, of the master nearest its
 * limit (the first to refuse writes): its used bytes and its maxmemory.
 */
export async function readRedisMemory(redis: RedisClient): Promise<RedisMemory> {
  const read = async (node: Redis): Promise<RedisMemory> => {
    const fields = parseInfo(await node.info('memory'));
    return { usedBytes: numberField(fields, 'used_memory'), maxBytes: numberField(fields, 'maxmemory') };
  };
  const all = await Promise.all(masters(redis).map(read));
  if (all.length === 0) throw new Error('no cluster master known yet');
  const fill = (m: RedisMemory): number => (m.maxBytes > 0 ? m.usedBytes / m.maxBytes : 0);
  return all.reduce((worst, m) => (fill(m) > fill(worst) || (fill(worst) === 0 && m.usedBytes > worst.usedBytes) ? m : worst));
}
