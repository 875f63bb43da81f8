import { ingestStream, queueKeys, type JobEvent } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { pollQuery } from '../../../../test/support/questdb.js';
import { build, useCollector } from '../helper.js';

const { config } = testConfig();
let tsSeq = 0;

/** A valid event; ts is unique per call so dedup never merges two test events. */
function event(overrides: Partial<JobEvent> = {}): JobEvent {
  return {
    ts: Date.now() * 1000 + tsSeq++,
    run_id: '',
    queue: 'payment',
    event: 'added',
    job_id: `job-${tsSeq}`,
    job_name: 'charge',
    attempt: 0,
    worker: 'test-host:1',
    ...overrides,
  };
}

describe('POST /api/v1/events', () => {
  const ctx = useCollector(config);
  const post = (payload: unknown) => ctx.app.inject({ method: 'POST', url: '/api/v1/events', payload: payload as object });
  const ingest = () => ctx.app.capture.sources().find((s) => s.stats.streamKey === ingestStream(config.namespace))!;

  it('stores events of a known queue and of a queue outside QUEUE_NAMES, injection-looking text verbatim', async () => {
    const runId = uniqueRunId('events');
    const nasty = "x'); DROP TABLE job_events;--";
    const events = [
      event({ run_id: runId, job_id: 'p1', event: 'active', attempt: 1, wait_ms: 12.5 }),
      event({ run_id: runId, job_id: 'p1', event: 'completed', attempt: 1, run_ms: 30, latency_ms: 42.5 }),
      event({ run_id: runId, job_id: nasty, event: 'failed', attempt: 2, latency_ms: 7, error: `boom ${nasty}` }),
      event({ run_id: runId, queue: 'emails', job_id: 'e1', job_name: 'welcome' }),
    ];
    const res = await post({ events });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 4 });

    const rows = await pollQuery<{
      queue: string;
      event: string;
      job_id: string;
      attempt: number;
      wait_ms: number | null;
      latency_ms: number | null;
      error: string | null;
    }>(
      ctx.db,
      `SELECT queue, event, job_id, attempt, wait_ms, latency_ms, error FROM job_events WHERE run_id = $1 ORDER BY ts`,
      [runId],
      (r) => r.length === 4,
    );
    expect(rows).toEqual([
      { queue: 'payment', event: 'active', job_id: 'p1', attempt: 1, wait_ms: 12.5, latency_ms: null, error: null },
      { queue: 'payment', event: 'completed', job_id: 'p1', attempt: 1, wait_ms: null, latency_ms: 42.5, error: null },
      { queue: 'payment', event: 'failed', job_id: nasty, attempt: 2, wait_ms: null, latency_ms: 7, error: `boom ${nasty}` },
      { queue: 'emails', event: 'added', job_id: 'e1', attempt: 0, wait_ms: null, latency_ms: null, error: null },
    ]);
    // All of them took the ingest stream, never a BullMQ events stream.
    // (Stats move right after the ack, which may trail the rows' visibility by a moment.)
    await expect.poll(() => ingest().stats.eventsWritten, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const tables = await ctx.db.query<{ n: number }>(`SELECT count() AS n FROM tables() WHERE table_name = 'job_events'`);
    expect(tables.rows[0]?.n).toBe(1);
  });

  it('never overwrites a captured row: the same ts, queue, job id and event sent here is stored next to it', async () => {
    const runId = uniqueRunId('identity');
    // A real captured row: BullMQ's own `added` entry of a job in this namespace.
    const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue('payment', { connection, prefix: queueKeys(config.namespace, 'payment').bullPrefix });
    try {
      const job = await queue.add('charge', { runId, input: {} });
      const sql = `SELECT cast(ts AS long) AS ts_us, job_id, event, job_name, worker, source FROM job_events WHERE run_id = $1 ORDER BY source`;
      type Row = { ts_us: number; job_id: string; event: string; job_name: string; worker: string | null; source: string };
      const [captured] = await pollQuery<Row>(ctx.db, sql, [runId], (r) => r.length === 1);
      expect(captured).toMatchObject({ job_id: job.id, event: 'added', job_name: 'charge', source: 'capture' });

      // The same identity through the API, with every other field different.
      const forged = event({
        ts: captured!.ts_us,
        run_id: runId,
        job_id: job.id!,
        job_name: 'forged',
        worker: 'evil:1',
        error: 'overwritten',
      });
      expect((await post({ events: [forged] })).statusCode).toBe(202);
      const rows = await pollQuery<Row>(ctx.db, sql, [runId], (r) => r.length === 2);
      expect(rows).toEqual([
        { ...captured, source: 'api', job_name: 'forged', worker: 'evil:1' },
        captured, // unchanged
      ]);
      // Sent again (a client retry), it replaces only its own api row: still two rows.
      expect((await post({ events: [{ ...forged, job_name: 'forged-again' }] })).statusCode).toBe(202);
      await pollQuery<Row>(ctx.db, sql, [runId], (r) => r.length === 2 && r[0]!.job_name === 'forged-again' && r[1]!.job_name === 'charge');
    } finally {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await connection.quit();
    }
  });

  it('rejects a batch with bad items as a whole, listing every bad index and field', async () => {
    const badRun = uniqueRunId('bad');
    const events: unknown[] = [
      event({ run_id: badRun }),
      { ...event({ run_id: badRun }), attempt: '1' },
      event({ run_id: badRun, queue: 'emails' }),
      { ...event({ run_id: badRun }), event: 'nope', color: 'red' },
      event({ run_id: badRun }),
      { ...event({ run_id: badRun }), ts: String(Date.now() * 1000) },
    ];
    const res = await post({ events });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ statusCode: 400, code: 'INVALID_EVENTS', message: '3 invalid events' });
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { index: 1, path: '/attempt', message: 'must be integer' },
        { index: 3, path: '/event', message: expect.any(String) },
        { index: 3, path: '/color', message: 'is not a known field' },
        { index: 5, path: '/ts', message: 'must be integer' },
      ]),
    );
    expect(new Set(body.errors.map((e: { index: number }) => e.index))).toEqual(new Set([1, 3, 5]));

    // A marker sent after it on the same streams: once the marker is stored, anything the bad
    // batch had appended before it would be stored too.
    const marker = uniqueRunId('marker');
    expect((await post({ events: [event({ run_id: marker }), event({ run_id: marker, queue: 'emails' })] })).statusCode).toBe(202);
    await pollQuery<{ n: number }>(ctx.db, `SELECT count() AS n FROM job_events WHERE run_id = $1`, [marker], (r) => r[0]?.n === 2);
    const bad = await ctx.db.query<{ n: number }>(`SELECT count() AS n FROM job_events WHERE run_id = $1`, [badRun]);
    expect(bad.rows[0]?.n).toBe(0);
  });

  it('rejects values QuestDB would refuse (ts past 2^53 µs, NUL in a symbol) instead of blocking the stream', async () => {
    const res = await post({ events: [event({ ts: 1e20 }), event({ queue: 'pay\u0000ment' }), event()] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { index: 0, path: '/ts', message: expect.stringContaining('<=') },
      { index: 1, path: '/queue', message: expect.stringMatching(/pattern/) },
    ]);
  });

  it('accepts 5000 events in one request, 500 per stream entry', async () => {
    const runId = uniqueRunId('max');
    const entriesBefore = ingest().stats.entriesRead;
    const events = Array.from({ length: 5000 }, (_, i) =>
      event({
        run_id: runId,
        queue: 'webhook',
        event: 'completed',
        job_id: `0192f0c2-7d1e-7c4a-9b1e-${String(i).padStart(12, '0')}`,
        job_name: 'deliver',
        attempt: 1,
        worker: 'worker-host-01:12345',
        run_ms: 12.25,
        latency_ms: 40.75,
      }),
    );
    const res = await post({ events });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 5000 });
    await pollQuery<{ n: number }>(
      ctx.db,
      `SELECT count() AS n FROM job_events WHERE run_id = $1`,
      [runId],
      (r) => r[0]?.n === 5000,
      60_000,
    );
    await expect.poll(() => ingest().stats.entriesRead - entriesBefore, { timeout: 10_000 }).toBe(10);
  });

  it('answers 4xx for oversize batches: 5001 events → 400 naming events and the limit; > 5 MiB → 413', async () => {
    const one = event();
    const many = await post({ events: Array.from({ length: 5001 }, () => one) });
    expect(many.statusCode).toBe(400);
    expect(many.json().message).toMatch(/events.*5000/);

    const huge = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ events: [{ ...one, error: 'x'.repeat(6 * 1024 * 1024) }] }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toEqual({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: expect.any(String) });
  });

  it('answers 413 naming COLLECTOR_MAX_QUEUES_PER_REQUEST for more distinct queues than it allows, and stores nothing', async () => {
    const max = config.collector.limits.maxQueuesPerRequest;
    const runId = uniqueRunId('queues');
    const length = () => ctx.app.redis.xlen(ingestStream(config.namespace));
    const before = await length();
    const tooMany = Array.from({ length: max + 1 }, (_, i) => event({ run_id: runId, queue: `q-${i}` }));
    const res = await post({ events: tooMany });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ statusCode: 413, code: 'TOO_MANY_QUEUES' });
    expect(res.json().message).toContain(`COLLECTOR_MAX_QUEUES_PER_REQUEST=${max}`);
    expect(await length()).toBe(before);
    // Exactly the limit, many events each: accepted.
    const atLimit = Array.from({ length: max * 3 }, (_, i) => event({ run_id: runId, queue: `q-${i % max}` }));
    expect((await post({ events: atLimit })).statusCode).toBe(202);
  });

  it('answers 400 naming the field for wrong envelope types, without coercion', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /^body\/events is required$/],
      [{ events: [] }, /^body\/events .*1/],
      [{ events: 'x' }, /^body\/events must be array$/],
      [{ events: { 0: event() } }, /^body\/events must be array$/],
      [{ events: [event()], extra: 1 }, /^body\/extra /],
    ];
    for (const [payload, message] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().message, JSON.stringify(payload)).toMatch(message);
    }
    const notJson = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: '{"events": [',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.body).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers 503 with the reason when Redis is unreachable, without a stack', async () => {
    const { config: other } = testConfig();
    const down = await build(other);
    try {
      down.redis.disconnect();
      const res = await down.inject({ method: 'POST', url: '/api/v1/events', payload: { events: [event()] } });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        statusCode: 503,
        code: 'DEPENDENCY_UNAVAILABLE',
        message: expect.stringMatching(/^redis unavailable: /),
      });
    } finally {
      await down.close();
    }
  });
});
