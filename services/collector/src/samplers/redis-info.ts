import { performance } from 'node:perf_hooks';
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

/** Read `INFO memory`: what Redis uses and its `maxmemory`. */
export async function readRedisMemory(redis: Redis): Promise<RedisMemory> {
  const fields = parseInfo(await redis.info('memory'));
  return { usedBytes: numberField(fields, 'used_memory'), maxBytes: numberField(fields, 'maxmemory') };
}
