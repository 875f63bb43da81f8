import { randomUUID } from 'node:crypto';
import { encodeEntry, ingestStream, type EventType, type JobEvent } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { pollQuery, questdbClient, waitForViews } from '../../../../test/support/questdb.js';
import { insertJobs, waitForRows } from '../analytics/fixture.js';
import { build, useCollector } from '../helper.js';

const { config } = testConfig();

interface Series {
  metric: string;
  step: string;
  from: string;
  to: string;
  ts: number[];
  series: Record<string, (number | null)[]>;
}

/**
 * Known events of one queue in three seconds A, B = A+1 s, C = A+2 s (ms):
 * - A: 5 completed (latency 10 ms), 2 first attempts started (wait 4 ms), 1 retried;
 * - B: nothing;
 * - C: 2 completed and 1 failed (latency 10 ms).
 */
function knownEvents(queue: string, runId: string, a: number): JobEvent[] {
  let n = 0;
  const event = (ms: number, type: EventType, extra: Partial<JobEvent> = {}): JobEvent => ({
    ts: ms * 1000 + n,
    run_id: runId,
    queue,
    event: type,
    job_id: `${runId}-${n++}`,
    job_name: 'ts-test',
    attempt: 1,
    worker: 'test:1',
    ...extra,
  });
  const c = a + 2000;
  return [
    ...Array.from({ length: 5 }, (_, i) => event(a + 100 + i, 'completed', { latency_ms: 10, run_ms: 5 })),
    event(a + 200, 'active', { wait_ms: 4 }),
    event(a + 201, 'active', { wait_ms: 4 }),
    event(a + 300, 'retried', { run_ms: 1 }),
    event(c + 100, 'completed', { latency_ms: 10, run_ms: 5 }),
    event(c + 101, 'completed', { latency_ms: 10, run_ms: 5 }),
    event(c + 102, 'failed', { latency_ms: 10, run_ms: 5, error: 'boom' }),
  ];
}

/** p-values come from approx_percentile with 3 significant digits: within 0.1 %. */
const near = (actual: number | null | undefined, expected: number): void => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(expected * 0.001);
};

const iso = (ms: number): string => new Date(ms).toISOString();

function expectColumnar(body: Series, stepMs: number): void {
  for (let i = 1; i < body.ts.length; i++) expect(body.ts[i]! - body.ts[i - 1]!).toBe(stepMs);
  for (const [name, values] of Object.entries(body.series)) expect(values, name).toHaveLength(body.ts.length);
}

describe('timeseries API', () => {
  let app: FastifyInstance;
  let db: pg.Client;
  let redis: Redis;

  /** XADD rows to the ingest stream, as `POST /api/v1/events` does; the capture stores them in job_events. */
  async function publish(events: JobEvent[]): Promise<void> {
    await redis.xadd(ingestStream(config.namespace), '*', ...encodeEntry(events));
    await pollQuery<{ n: number }>(
      db,
      'SELECT count() AS n FROM job_events WHERE run_id = $1',
      [events[0]!.run_id],
      (rows) => rows[0]?.n === events.length,
    );
    await waitForViews(db);
  }

  beforeAll(async () => {
    app = await build(config);
    db = await questdbClient(config);
    redis = new Redis(config.redisUrl);
  });
  afterAll(async () => {
    await app.close();
    await db.end();
    await redis.quit();
  });

  const get = async (url: string): Promise<Series> => {
    const res = await app.inject({ url });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<Series>();
  };

  describe('any window', () => {
    // A queue name of its own: the window route has no run filter, so other tests' events in the
    // same seconds land in other series. A is a whole 10 s, so 1 s and 2 s buckets both start on it.
    const queue = `ts-${randomUUID().slice(0, 8)}`;
    // A twin with the same events, listed after `queue`: its query re-runs QuestDB's cached plan.
    const twin = `${queue}-twin`;
    const a = Math.floor((Date.now() - 120_000) / 10_000) * 10_000;
    const window = (metric: string, step: string, from: number, to: number) =>
      `/api/v1/timeseries?metric=${metric}&step=${step}&from=${iso(from)}&to=${iso(to)}`;

    beforeAll(async () => {
      await publish(knownEvents(queue, uniqueRunId('ts-window'), a));
      await publish(knownEvents(twin, uniqueRunId('ts-twin'), a));
    });

    it('throughput per 1 s bucket equals completed + failed per second, 0 in empty seconds', async () => {
      const body = await get(window('throughput', '1s', a - 1000, a + 4000));
      expect(body).toMatchObject({ metric: 'throughput', step: '1s', from: iso(a - 1000), to: iso(a + 4000) });
      expect(body.ts).toEqual([a - 1000, a, a + 1000, a + 2000, a + 3000]);
      expectColumnar(body, 1000);
      expect(body.series[`${queue}.rate`]).toEqual([0, 5, 0, 3, 0]);
      expect(body.series[`${twin}.rate`]).toEqual([0, 5, 0, 3, 0]);
    });

    it('at 2 s buckets the rate is count / 2', async () => {
      const body = await get(window('throughput', '2s', a, a + 6000));
      expect(body.ts).toEqual([a, a + 2000, a + 4000]);
      expect(body.series[`${queue}.rate`]).toEqual([2.5, 1.5, 0]);
      expect(body.series[`${twin}.rate`]).toEqual([2.5, 1.5, 0]);
    });

    it('latency percentiles are the known latency, null in empty seconds', async () => {
      const body = await get(window('latency', '1s', a - 1000, a + 4000));
      expectColumnar(body, 1000);
      for (const name of [queue, twin].flatMap((q) => ['p50', 'p95', 'p99'].map((stat) => `${q}.${stat}`))) {
        const values = body.series[name]!;
        expect([values[0], values[2], values[4]]).toEqual([null, null, null]);
        near(values[1], 10);
        near(values[3], 10);
      }
    });

    it('wait, retries and failures read their own events', async () => {
      const wait = await get(window('wait', '1s', a, a + 3000));
      expect(wait.series[`${queue}.p95`]![0]).toBeCloseTo(4, 2);
      expect(wait.series[`${queue}.p95`]!.slice(1)).toEqual([null, null]);
      const retries = await get(window('retries', '1s', a, a + 3000));
      expect(retries.series[`${queue}.rate`]).toEqual([1, 0, 0]);
      expect(retries.series[`${twin}.rate`]).toEqual([1, 0, 0]);
      const failures = await get(window('failures', '1s', a, a + 3000));
      expect(failures.series[`${queue}.rate`]).toEqual([0, 0, 1]);
      expect(failures.series[`${twin}.rate`]).toEqual([0, 0, 1]);
    });

    it('a window without events gives the full axis and no series of this queue', async () => {
      const hourAgo = Math.floor(a / 60_000) * 60_000 - 3 * 3600_000;
      const body = await get(window('throughput', '1m', hourAgo, hourAgo + 3600_000));
      expect(body.ts).toHaveLength(60);
      expect(body.ts[0]).toBe(hourAgo);
      expectColumnar(body, 60_000);
      expect(body.series[`${queue}.rate`]).toBeUndefined();
    });
  });

  it('a run: its window is start..end, only its events count', async () => {
    const runId = uniqueRunId('ts-run');
    const created = await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'timeseries', id: runId } });
    expect(created.statusCode).toBe(201);
    const startedAt = Date.parse(created.json().startedAt);
    const a = Math.floor(startedAt / 1000) * 1000 + 1000;
    await publish(knownEvents('payment', runId, a));
    // The run must end after second C so that C lies in its window.
    const wait = a + 3000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const finished = await app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/finish` });
    const endedAt = Date.parse(finished.json().endedAt);

    const body = await get(`/api/v1/runs/${runId}/timeseries?metric=throughput`);
    expect(body).toMatchObject({ metric: 'throughput', step: '1s', from: iso(startedAt), to: iso(endedAt) });
    expect(body.ts[0]).toBe(Math.floor(startedAt / 1000) * 1000);
    expect(body.ts.at(-1)! + 1000).toBeGreaterThanOrEqual(endedAt);
    expectColumnar(body, 1000);
    const i = body.ts.indexOf(a);
    expect(Object.keys(body.series)).toEqual(['payment.rate']);
    expect(body.series['payment.rate']!.slice(i - 1, i + 3)).toEqual([0, 5, 0, 3]);

    const latency = await get(`/api/v1/runs/${runId}/timeseries?metric=latency&step=1s`);
    expect(latency.ts).toEqual(body.ts);
    near(latency.series['payment.p95']![i], 10);
    expect(latency.series['payment.p95']![i + 1]).toBeNull();
  });

  describe('step=auto', () => {
    // A quiet past hour-aligned window: only the axis matters here.
    const from = Math.floor((Date.now() - 3 * 86_400_000) / 3_600_000) * 3_600_000;
    it.each([
      ['1 h', 3_600_000, '1s', 3600],
      ['2 h 50 min (10,200 s: too many for 1 s)', 10_200_000, '2s', 5100],
      ['24 h', 86_400_000, '10s', 8640],
    ])('a %s window gets the finest step with at most 10,000 buckets', async (_what, span, step, buckets) => {
      const body = await get(`/api/v1/timeseries?metric=throughput&step=auto&from=${iso(from)}&to=${iso(from + span)}`);
      expect(body.step).toBe(step);
      expect(body.ts).toHaveLength(buckets);
      expectColumnar(body, Number(step.slice(0, -1)) * 1000);
    });

    it("a run's series at step=auto is at 1 s for a short run", async () => {
      const run = (await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'auto-step' } })).json<{ id: string }>();
      const body = await get(`/api/v1/runs/${run.id}/timeseries?metric=latency&step=auto`);
      expect(body.step).toBe('1s');
      expectColumnar(body, 1000);
    });
  });

  describe('bad input', () => {
    const from = '2026-01-05T10:00:00Z';
    it.each([
      ['unknown metric', `/api/v1/timeseries?metric=nope&from=${from}&to=2026-01-05T10:01:00Z`, 400, /querystring\/metric/],
      ['missing metric', `/api/v1/timeseries?from=${from}&to=2026-01-05T10:01:00Z`, 400, /metric/],
      ['unknown step', `/api/v1/timeseries?metric=latency&step=7s&from=${from}&to=2026-01-05T10:01:00Z`, 400, /querystring\/step/],
      ['from not a date', `/api/v1/timeseries?metric=latency&from=yesterday&to=2026-01-05T10:01:00Z`, 400, /querystring\/from/],
      ['impossible date', `/api/v1/timeseries?metric=latency&from=2026-13-45T10:00:00Z&to=2026-01-05T10:01:00Z`, 400, /querystring\/from/],
      ['missing to', `/api/v1/timeseries?metric=latency&from=${from}`, 400, /to/],
      ['to before from', `/api/v1/timeseries?metric=latency&from=${from}&to=2026-01-05T09:00:00Z`, 400, /querystring\/to/],
      ['window over 24 h', `/api/v1/timeseries?metric=latency&step=1h&from=${from}&to=2026-01-06T10:00:01Z`, 400, /querystring\/to/],
      ['too many buckets', `/api/v1/timeseries?metric=latency&step=1s&from=${from}&to=2026-01-05T13:00:00Z`, 400, /querystring\/step/],
      [
        'injection in metric',
        `/api/v1/timeseries?metric=${encodeURIComponent("latency';DROP TABLE runs;--")}&from=${from}&to=2026-01-05T10:01:00Z`,
        400,
        /querystring\/metric/,
      ],
      ['unknown run', '/api/v1/runs/no-such-run/timeseries?metric=latency', 404, /no-such-run/],
      ['injection in run id', `/api/v1/runs/${encodeURIComponent("x' OR '1'='1")}/timeseries?metric=latency`, 400, /id/],
      ['run with unknown step', '/api/v1/runs/no-such-run/timeseries?metric=latency&step=1d', 400, /querystring\/step/],
    ])('%s: the status and message name the problem', async (_what, url, status, message) => {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(status);
      expect(res.json().message).toMatch(message);
    });

    it('injection-looking values change nothing', async () => {
      const tables = await db.query<{ table_name: string }>(`SELECT table_name FROM tables() WHERE table_name IN ('runs', 'job_events')`);
      expect(tables.rows.map((r) => r.table_name).sort()).toEqual(['job_events', 'runs']);
      const runs = await db.query<{ n: number }>('SELECT count() AS n FROM runs');
      expect(runs.rows[0]!.n).toBeGreaterThan(0);
    });
  });
});

describe('timeseries of a run with more queues than COLLECTOR_MAX_QUEUES_PER_REQUEST', () => {
  const limited = testConfig({ COLLECTOR_MAX_QUEUES_PER_REQUEST: '2' }).config;
  const ctx = useCollector(limited);

  it('per-queue metrics read the busiest queues and count the others in truncatedQueues', async () => {
    const created = await ctx.app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: uniqueRunId('ts-queues') } });
    const run = created.json<{ id: string; startedAt: string }>();
    const start = Date.parse(run.startedAt) + 100;
    const prefix = `tq-${randomUUID().slice(0, 8)}`;
    // Jobs per queue: a and b are the busiest two.
    const jobs = { a: 12, b: 8, c: 3, d: 1 };
    let rows = 0;
    for (const [q, n] of Object.entries(jobs))
      rows += await insertJobs(ctx.db, run.id, { queue: `${prefix}-${q}`, n, startMs: start, stepMs: 20, wait: '1', run: '5' });
    await waitForRows(ctx.db, run.id, rows);
    const wait = start + 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    expect((await ctx.app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/finish` })).statusCode).toBe(200);
    for (const [metric, stat] of [
      ['throughput', 'rate'],
      ['latency', 'p95'],
      ['failures', 'rate'],
    ] as const) {
      const res = await ctx.app.inject({ url: `/api/v1/runs/${run.id}/timeseries?metric=${metric}` });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<Series & { truncatedQueues: number }>();
      const queues = [...new Set(Object.keys(body.series).map((k) => k.slice(0, k.lastIndexOf('.'))))];
      expect(queues, metric).toEqual([`${prefix}-a`, `${prefix}-b`]);
      expect(body.series[`${prefix}-a.${stat}`], metric).toHaveLength(body.ts.length);
      expect(body.truncatedQueues, metric).toBe(2);
    }
    // A metric without queues never truncates.
    const redisSeries = await ctx.app.inject({ url: `/api/v1/runs/${run.id}/timeseries?metric=redis` });
    expect(redisSeries.json()).toMatchObject({ truncatedQueues: 0 });
  });
});
