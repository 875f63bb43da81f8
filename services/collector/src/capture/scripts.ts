import { readFileSync } from 'node:fs';
import type { RedisClient } from '@queuescope/service-kit';

/** The capture's Lua scripts (lua/*.lua; each file's header states its keys, arguments and replies). */
const source = (name: string): string => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** Scripts that answer one text get the field escaping they share prepended. */
const withEscape = (name: string): string => `${source('lib/escape')}\n${source(name)}`;

const SCRIPTS = {
  qsReadBatch: { numberOfKeys: 3, lua: withEscape('readBatch-3') },
  qsAckBatch: { numberOfKeys: 3, lua: source('ackBatch-3') },
  qsRenewLease: { numberOfKeys: 1, lua: source('renewLease-1') },
} as const;

/** The read script's reply: see lua/readBatch-3.lua. */
export type ReadReply = [1, string | [string, string[]][], number, number, string, number] | [0] | [-2];

export interface CaptureCommands {
  qsReadBatch(
    stream: string,
    state: string,
    lease: string,
    group: string,
    consumer: string,
    count: number,
    leaseMs: number,
    compact: 0 | 1,
  ): Promise<ReadReply>;
  qsAckBatch(stream: string, state: string, lease: string, args: (string | number)[]): Promise<number>;
  qsRenewLease(lease: string, consumer: string, leaseMs: number): Promise<number>;
  qsReadJobs(numberOfKeys: number, keysThenFlags: string[]): Promise<string>;
}

export type CaptureRedis = RedisClient & CaptureCommands;

/**
 * Registers the scripts on `redis` (EVALSHA, loaded on first use; on a Cluster, on the node that owns
 * the keys' slot) and returns it typed. Each call's keys share one slot (contracts/keys.ts).
 */
export function withCaptureScripts(redis: RedisClient): CaptureRedis {
  for (const [name, def] of Object.entries(SCRIPTS)) redis.defineCommand(name, def);
  // Variable number of keys: the caller passes it first.
  redis.defineCommand('qsReadJobs', { lua: withEscape('readJobs') });
  return redis as CaptureRedis;
}
