/**
 * The capture's read and ack scripts (lua/readBatch-3.lua, lua/ackBatch-3.lua) on a real Redis:
 * only lifecycle entries leave Redis, the others are acknowledged at once; a reply that was lost is
 * delivered again; trimmed entries are counted exactly; nothing is read without the lease.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { COLLECTOR_GROUP, captureKeys } from '@queuescope/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobInfos, lifecycleEntries } from '../../src/capture/bullmq-mapper.js';
import { withCaptureScripts, type CaptureRedis } from '../../src/capture/scripts.js';
import { testConfig } from '../../../../test/support/env.js';

const { config } = testConfig();
const ME = 'test-consumer';
const LEASE_MS = 10_000;

describe('capture read script', () => {
  let redis: CaptureRedis;
  beforeAll(() => {
    redis = withCaptureScripts(new Redis(config.redisUrl));
  });
  afterAll(async () => {
    await redis.quit();
  });

  /** A fresh stream with this consumer holding its lease. */
  const fresh = async () => {
    const stream = `{t-${randomUUID()}}:q:events`;
    const keys = captureKeys(stream);
    await redis.set(keys.lease, ME, 'PX', LEASE_MS);
    const read = (count = 100) => redis.qsReadBatch(stream, keys.state, keys.lease, COLLECTOR_GROUP, ME, count, LEASE_MS, 1);
    return { stream, keys, read };
  };

  it('returns lifecycle entries compacted, and acknowledges the rest at once', async () => {
    const { stream, read } = await fresh();
    await redis.xadd(stream, '*', 'event', 'added', 'jobId', '1', 'name', 'charge');
    await redis.xadd(stream, '*', 'event', 'waiting', 'jobId', '1');
    await redis.xadd(stream, '*', 'event', 'active', 'jobId', '1', 'prev', 'waiting');
    await redis.xadd(stream, '*', 'event', 'progress', 'jobId', '1', 'data', '50');
    await redis.xadd(stream, '*', 'event', 'failed', 'jobId', '1', 'failedReason', 'boom', 'prev', 'active');
    await redis.xadd(stream, '*', 'event', 'retries-exhausted', 'jobId', '1', 'attemptsMade', '1');
    await redis.xadd(stream, '*', 'event', 'drained');
    const reply = await read();
    expect(reply[0]).toBe(1);
    if (reply[0] !== 1) return;
    const entries = lifecycleEntries(reply[1] as string);
    expect(entries.map((e) => [e.event, e.jobId, e.extra])).toEqual([
      ['added', '1', 'charge'],
      ['active', '1', ''],
      ['failed', '1', 'boom'],
    ]);
    expect(reply[5]).toBe(7);
    // Only the three lifecycle entries wait for the ack; the four others are done already.
    const pending = (await redis.xpending(stream, COLLECTOR_GROUP)) as [number];
    expect(Number(pending[0])).toBe(3);
  });

  // Any job id, job name and failure reason a BullMQ app may write, including the separators and
  // escapes of the script's text reply (newline, backslash, "\\n", "\\N"), comes back unchanged.
  const anyText = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: fc.constantFrom('\n', '\\', 'n', 'N', ' ', 'é'), maxLength: 10 }),
  );
  it('returns generated job ids, names and reasons exactly as BullMQ wrote them (100 streams)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ jobId: anyText.filter((s) => s !== ''), name: anyText, reason: anyText }), { minLength: 1, maxLength: 8 }),
        async (jobs) => {
          const { stream, read } = await fresh();
          for (const j of jobs) {
            await redis.xadd(stream, '*', 'event', 'added', 'jobId', j.jobId, 'name', j.name);
            await redis.xadd(stream, '*', 'event', 'failed', 'jobId', j.jobId, 'failedReason', j.reason, 'prev', 'active');
          }
          const reply = await read();
          expect(reply[0]).toBe(1);
          const entries = lifecycleEntries(reply[1] as string);
          expect(entries.map((e) => [e.event, e.jobId, e.extra])).toEqual(
            jobs.flatMap((j) => [
              ['added', j.jobId, j.name],
              ['failed', j.jobId, j.reason],
            ]),
          );
          await redis.del(stream);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reads generated job fields back from their hashes unchanged, absent ones as null (100 batches)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ pb: fc.option(anyText), data: fc.option(anyText), name: fc.option(anyText), first: fc.boolean() }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (jobs) => {
          const keys = jobs.map(() => `{t-${randomUUID()}}:q:job`);
          for (const [i, j] of jobs.entries()) {
            const fields = Object.entries({ pb: j.pb, data: j.data, name: j.name }).filter((e): e is [string, string] => e[1] !== null);
            await redis.hset(keys[i]!, 'x', '1', ...fields.flat());
          }
          const text = await redis.qsReadJobs(keys.length, [...keys, ...jobs.map((j) => (j.first ? '1' : '0'))]);
          const infos = jobInfos(text, keys);
          jobs.forEach((j, i) => {
            expect(infos.get(keys[i]!)).toEqual({
              pb: j.pb,
              failedReason: null,
              ats: null,
              data: j.first ? j.data : null,
              name: j.first ? j.name : null,
            });
          });
          await redis.del(...keys);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('delivers again what a lost reply had read, before anything new', async () => {
    const { stream, read } = await fresh();
    await redis.xadd(stream, '*', 'event', 'added', 'jobId', 'a', 'name', 'n');
    const first = await read();
    // The reply is "lost": the entry is not acknowledged; a new one arrives; the next read must return the old one first.
    await redis.xadd(stream, '*', 'event', 'added', 'jobId', 'b', 'name', 'n');
    const again = await read();
    if (first[0] !== 1 || again[0] !== 1) throw new Error('no lease');
    expect(lifecycleEntries(again[1] as string).map((e) => e.jobId)).toEqual(['a']);
    expect(lifecycleEntries(first[1] as string)[0]!.id).toBe(lifecycleEntries(again[1] as string)[0]!.id);
  });

  it('never splits a stall: a batch ending on waiting (prev active) also takes the next entry', async () => {
    const { stream, read } = await fresh();
    await redis.xadd(stream, '*', 'event', 'waiting', 'jobId', 's', 'prev', 'active');
    await redis.xadd(stream, '*', 'event', 'stalled', 'jobId', 's');
    const reply = await read(1);
    if (reply[0] !== 1) throw new Error('no lease');
    expect(lifecycleEntries(reply[1] as string).map((e) => e.event)).toEqual(['waiting', 'stalled']);
  });

  it('counts entries trimmed before they were read, exactly, and keeps the gap until it is acknowledged', async () => {
    const { stream, keys, read } = await fresh();
    await redis.xadd(stream, '*', 'event', 'added', 'jobId', '0', 'name', 'n');
    const first = await read();
    if (first[0] !== 1) throw new Error('no lease');
    const ids = lifecycleEntries(first[1] as string).map((e) => e.id);
    expect(await redis.qsAckBatch(stream, keys.state, keys.lease, [COLLECTOR_GROUP, ME, '', ids.length, ...ids, 0, 0])).toBe(1);
    // 50 more entries, then an exact trim to the newest 10: 40 were never read.
    for (let i = 1; i <= 50; i++) await redis.xadd(stream, '*', 'event', 'added', 'jobId', String(i), 'name', 'n');
    await redis.xtrim(stream, 'MAXLEN', 10);
    const second = await read();
    if (second[0] !== 1) throw new Error('no lease');
    expect([second[2], second[3]]).toEqual([40, 40]);
    expect(second[4]).toMatch(/^\d+:40;$/);
    expect(lifecycleEntries(second[1] as string).map((e) => e.jobId)).toEqual(Array.from({ length: 10 }, (_, i) => String(41 + i)));
    // No second count of the same gap; the gap record stays until an ack names it.
    const third = await read();
    if (third[0] !== 1) throw new Error('no lease');
    expect([third[2], third[3]]).toEqual([0, 40]);
    const ids2 = lifecycleEntries(third[1] as string).map((e) => e.id);
    await redis.qsAckBatch(stream, keys.state, keys.lease, [COLLECTOR_GROUP, ME, second[4], ids2.length, ...ids2, 0, 0]);
    expect(await redis.hget(keys.state, '__gaps')).toBe('');
  });

  it('reads nothing without the lease', async () => {
    const { stream, keys } = await fresh();
    await redis.xadd(stream, '*', 'event', 'added', 'jobId', '1', 'name', 'n');
    await redis.set(keys.lease, 'someone-else');
    expect(await redis.qsReadBatch(stream, keys.state, keys.lease, COLLECTOR_GROUP, ME, 10, LEASE_MS, 1)).toEqual([0]);
    expect(await redis.qsAckBatch(stream, keys.state, keys.lease, [COLLECTOR_GROUP, ME, '', 0, 0, 0])).toBe(0);
  });
});
