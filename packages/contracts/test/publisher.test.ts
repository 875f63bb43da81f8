import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../src/events.js';
import { EventPublisher, type AppendEntry } from '../src/publisher.js';
import { decodeEntry } from '../src/stream.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `t-${randomUUID()}`;
let redis: Redis;
const usedKeys: string[] = [];

/** A stream key of this file (deleted in afterAll). */
function streamKey(name: string): string {
  const key = `${prefix}:${name}`;
  usedKeys.push(key);
  return key;
}

const xadd: AppendEntry = (key, fields) => redis.xadd(key, '*', ...fields);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function makeEvent(i: number, queue = 'payment'): JobEvent {
  return { ts: 1_700_000_000_000_000 + i, run_id: prefix, queue, event: 'added', job_id: `j-${i}`, job_name: 'job', attempt: 0, worker: 'test:1' };
}

/** Every stream entry of `key`, decoded, in stream order. */
async function readEntries(key: string): Promise<JobEvent[][]> {
  const entries = await redis.xrange(key, '-', '+');
  return entries.map(([, fields]) => decodeEntry(fields));
}

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  if (usedKeys.length > 0) await redis.del(...usedKeys);
  expect(await redis.exists(...usedKeys)).toBe(0);
  redis.disconnect();
});

describe('EventPublisher (real Redis)', () => {
  it('group-commits 500 concurrent publishes into few entries, in order, nothing lost or duplicated', async () => {
    const key = streamKey('many');
    const publisher = new EventPublisher(xadd, { lingerMs: 0, maxBatch: 1000 });
    const events = Array.from({ length: 500 }, (_, i) => makeEvent(i));
    const results = await Promise.all(events.map((e) => publisher.publish(key, e)));
    expect(results).toHaveLength(500);
    const entries = await readEntries(key);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.length).toBeLessThan(100);
    expect(entries.flat()).toEqual(events);
    await publisher.close();
  });

  it('keeps order with a linger and events published across several ticks', async () => {
    const key = streamKey('ticks');
    const publisher = new EventPublisher(xadd, { lingerMs: 5, maxBatch: 1000 });
    const events = Array.from({ length: 300 }, (_, i) => makeEvent(i));
    const pending: Promise<void>[] = [];
    for (let i = 0; i < events.length; i++) {
      pending.push(publisher.publish(key, events[i]!));
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    const entries = await readEntries(key);
    expect(entries.length).toBeLessThan(100);
    expect(entries.flat()).toEqual(events);
    await publisher.close();
  });

  it('sends events for two stream keys to their own streams', async () => {
    const a = streamKey('two-a');
    const b = streamKey('two-b');
    const publisher = new EventPublisher(xadd, { lingerMs: 0, maxBatch: 1000 });
    const toA = Array.from({ length: 60 }, (_, i) => makeEvent(i, 'payment'));
    const toB = Array.from({ length: 40 }, (_, i) => makeEvent(1000 + i, 'webhook'));
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      pending.push(publisher.publish(a, toA[i]!));
      if (i < 40) pending.push(publisher.publish(b, toB[i]!));
    }
    await Promise.all(pending);
    expect((await readEntries(a)).flat()).toEqual(toA);
    expect((await readEntries(b)).flat()).toEqual(toB);
    await publisher.close();
  });

  it('honours maxBatch: 95 events with maxBatch 10 → entries of at most 10, 95 in total', async () => {
    const key = streamKey('max-batch');
    const publisher = new EventPublisher(xadd, { lingerMs: 0, maxBatch: 10 });
    const events = Array.from({ length: 95 }, (_, i) => makeEvent(i));
    await Promise.all(events.map((e) => publisher.publish(key, e)));
    const entries = await readEntries(key);
    for (const entry of entries) expect(entry.length).toBeLessThanOrEqual(10);
    expect(entries.length).toBeGreaterThanOrEqual(10);
    expect(entries.flat()).toHaveLength(95);
    expect(entries.flat()).toEqual(events);
    await publisher.close();
  });

  it('rejects the promises of a failed batch and still stores later publishes', async () => {
    const key = streamKey('reject');
    let calls = 0;
    const append: AppendEntry = async (k, fields) => {
      calls += 1;
      if (calls === 1) {
        await sleep(20);
        throw new Error('boom: XADD failed');
      }
      return redis.xadd(k, '*', ...fields);
    };
    const publisher = new EventPublisher(append, { lingerMs: 0, maxBatch: 1000 });
    const first = Array.from({ length: 5 }, (_, i) => makeEvent(i));
    const firstResults = Promise.allSettled(first.map((e) => publisher.publish(key, e)));
    // Let the first write start, then publish while it is in flight: those go in the next entry.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
    const during = Array.from({ length: 5 }, (_, i) => makeEvent(100 + i));
    const duringResults = Promise.allSettled(during.map((e) => publisher.publish(key, e)));

    const settledFirst = await firstResults;
    for (const r of settledFirst) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(Error);
      expect(String((r as PromiseRejectedResult).reason)).toContain('boom');
    }
    for (const r of await duringResults) expect(r.status).toBe('fulfilled');

    const after = Array.from({ length: 5 }, (_, i) => makeEvent(200 + i));
    await Promise.all(after.map((e) => publisher.publish(key, e)));
    expect((await readEntries(key)).flat()).toEqual([...during, ...after]);
    await publisher.close();
  });

  it('flush() resolves only after in-flight and queued writes finished', async () => {
    const key = streamKey('flush');
    let writes = 0;
    const slowAppend: AppendEntry = async (k, fields) => {
      await sleep(50);
      const id = await redis.xadd(k, '*', ...fields);
      writes += 1;
      return id;
    };
    const publisher = new EventPublisher(slowAppend, { lingerMs: 0, maxBatch: 5 });
    await publisher.flush(); // idle publisher: resolves at once

    const events = Array.from({ length: 20 }, (_, i) => makeEvent(i));
    let settled = 0;
    const pending = events.map((e) => publisher.publish(key, e).then(() => void (settled += 1)));
    await publisher.flush();
    expect(writes).toBe(4);
    expect(await redis.xlen(key)).toBe(4);
    // Every publish promise settled before the write loop went idle (and so before flush resolved).
    expect(settled).toBe(20);
    await Promise.all(pending);

    // Publish after a flush: a second flush waits for it too.
    const more = makeEvent(99);
    void publisher.publish(key, more);
    await publisher.flush();
    expect(await redis.xlen(key)).toBe(5);
    expect((await readEntries(key)).flat()).toEqual([...events, more]);
    await publisher.close();
  });

  it('flush() with two streams waits for both', async () => {
    const a = streamKey('flush-a');
    const b = streamKey('flush-b');
    const delays: Record<string, number> = { [a]: 10, [b]: 120 };
    const append: AppendEntry = async (k, fields) => {
      await sleep(delays[k] ?? 0);
      return redis.xadd(k, '*', ...fields);
    };
    const publisher = new EventPublisher(append, { lingerMs: 0, maxBatch: 1000 });
    void publisher.publish(a, makeEvent(1));
    void publisher.publish(b, makeEvent(2));
    await publisher.flush();
    expect(await redis.xlen(a)).toBe(1);
    expect(await redis.xlen(b)).toBe(1);
    await publisher.close();
  });

  it('close() waits for accepted events, then publish rejects', async () => {
    const key = streamKey('close');
    const append: AppendEntry = async (k, fields) => {
      await sleep(30);
      return redis.xadd(k, '*', ...fields);
    };
    const publisher = new EventPublisher(append, { lingerMs: 0, maxBatch: 1000 });
    const accepted = Array.from({ length: 10 }, (_, i) => makeEvent(i));
    const pending = Promise.all(accepted.map((e) => publisher.publish(key, e)));
    await publisher.close();
    expect((await readEntries(key)).flat()).toEqual(accepted);
    await pending;

    await expect(publisher.publish(key, makeEvent(50))).rejects.toThrow(/closed/);
    await publisher.close(); // idempotent
    expect(await redis.xlen(key)).toBe(1);
  });
});
