import { JOB_EVENT_COLUMNS, type Config } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { pollQuery, questdbClient } from '../../../../test/support/questdb.js';
import { TOTAL_ROWS_HEADER, TRUNCATED_HEADER } from '../../src/routes/export.js';
import { build, useCollector } from '../helper.js';

const { config } = testConfig();

describe('GET /api/v1/runs/:id/events', () => {
  let app: FastifyInstance;
  let db: pg.Client;
  let runId: string;
  const t = Date.now() * 1000;
  beforeAll(async () => {
    app = await build(config);
    db = await questdbClient(config);
    runId = (await app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'export' } })).json().id;
    const base = { run_id: runId, queue: 'webhook', job_id: 'j-1', job_name: 'deliver', worker: 'w:1' };
    const events = [
      { ...base, ts: t, event: 'added', attempt: 0 },
      { ...base, ts: t + 5000, event: 'active', attempt: 1, wait_ms: 5 },
      {
        ...base,
        ts: t + 25_000,
        event: 'failed',
        attempt: 1,
        run_ms: 20,
        latency_ms: 25,
        error: 'Error: upstream said "no", then closed\nthe socket',
      },
    ];
    expect((await app.inject({ method: 'POST', url: '/api/v1/events', payload: { events } })).statusCode).toBe(202);
    await pollQuery<{ n: number }>(db, 'SELECT count() AS n FROM job_events WHERE run_id = $1', [runId], (r) => r[0]?.n === 3);
  });
  afterAll(async () => {
    await app.close();
    await db.end();
  });

  it('exports CSV with the contract columns, in time order, quoting what needs quoting', async () => {
    const res = await app.inject({ url: `/api/v1/runs/${runId}/events?format=csv` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    expect(res.headers['content-disposition']).toContain(`run-${runId}-events.csv`);
    const [header, ...rest] = res.body.trimEnd().split('\n');
    expect(header).toBe(JOB_EVENT_COLUMNS.join(','));
    expect(rest[0]).toMatch(/^\d{4}-\d\d-\d\dT.*,added,j-1,deliver,0,/);
    expect(res.body).toContain('"Error: upstream said ""no"", then closed\nthe socket"');
  });

  it('exports JSON as an array of rows', async () => {
    const res = await app.inject({ url: `/api/v1/runs/${runId}/events?format=json` });
    const rows = res.json() as { event: string; wait_ms: number | null; error: string | null }[];
    expect(rows.map((r) => r.event)).toEqual(['added', 'active', 'failed']);
    expect(rows[1]!.wait_ms).toBe(5);
    expect(rows[2]!.error).toContain('"no"');
  });

  it("limit returns the first rows; the headers give the run's rows and whether the body is cut", async () => {
    const cut = await app.inject({ url: `/api/v1/runs/${runId}/events?format=json&limit=2` });
    expect(cut.statusCode).toBe(200);
    expect(cut.json<{ event: string }[]>().map((r) => r.event)).toEqual(['added', 'active']);
    expect(cut.headers[TOTAL_ROWS_HEADER]).toBe('3');
    expect(cut.headers[TRUNCATED_HEADER]).toBe('true');
    const whole = await app.inject({ url: `/api/v1/runs/${runId}/events?format=json` });
    expect(whole.json()).toHaveLength(3);
    expect(whole.headers[TRUNCATED_HEADER]).toBe('false');
    for (const limit of [0, config.collector.limits.exportMaxRows + 1]) {
      const bad = await app.inject({ url: `/api/v1/runs/${runId}/events?limit=${limit}` });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/limit/);
    }
  });

  it('404 for an unknown run, 400 for an unknown format', async () => {
    expect((await app.inject({ url: '/api/v1/runs/nope-nope/events' })).statusCode).toBe(404);
    const bad = await app.inject({ url: `/api/v1/runs/${runId}/events?format=xml` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/format/);
  });
});

/** Rows of the big run: enough CSV (~40 MB) that an export stalls on a client that does not read. */
const BIG = 300_000;
const LIMITS = { exportConcurrency: 1, exportTimeoutMs: 3000, exportMaxRows: BIG - 1 };

describe('GET /api/v1/runs/:id/events: COLLECTOR_EXPORT_* limits', () => {
  // The timeout is below the parser's 1 s … 1 h range only in spirit: 3 s keeps the test short.
  const base = testConfig().config;
  const limited: Config = { ...base, collector: { ...base.collector, limits: { ...base.collector.limits, ...LIMITS } } };
  const ctx = useCollector(limited);
  let url: string;
  let runId: string;
  const running = async (): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^queuescope_exports_running (\d+)$/m.exec(text)?.[1]);
  };

  beforeAll(async () => {
    url = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const created = await ctx.app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: uniqueRunId('export-big') } });
    runId = created.json().id;
    const startUs = Date.parse(created.json().startedAt) * 1000;
    await ctx.db.query(
      `INSERT INTO job_events (ts, run_id, queue, event, job_id, job_name, attempt, worker)
       SELECT cast(${startUs} + x AS timestamp), '${runId}', 'export-big', 'added', 'job-' || x, 'bulk', 0, 'w:1' FROM long_sequence(${BIG})`,
    );
    await pollQuery<{ n: number }>(
      ctx.db,
      'SELECT count() AS n FROM job_events WHERE run_id = $1',
      [runId],
      (r) => r[0]?.n === BIG,
      60_000,
    );
  });

  it('one export more than COLLECTOR_EXPORT_CONCURRENCY gets 429; a stalled export is aborted at COLLECTOR_EXPORT_TIMEOUT_MS and frees its slot', async () => {
    const started = Date.now();
    const first = await fetch(`${url}/api/v1/runs/${runId}/events`);
    expect(first.status).toBe(200);
    // No limit given: COLLECTOR_EXPORT_MAX_ROWS rows, and the headers say the body is cut.
    expect(first.headers.get(TOTAL_ROWS_HEADER)).toBe(String(BIG));
    expect(first.headers.get(TRUNCATED_HEADER)).toBe('true');
    const second = await fetch(`${url}/api/v1/runs/${runId}/events`);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('5');
    expect(await second.json()).toMatchObject({
      code: 'TOO_MANY_EXPORTS',
      message: expect.stringContaining('COLLECTOR_EXPORT_CONCURRENCY=1'),
    });
    expect(await running()).toBe(1);
    // A limit above COLLECTOR_EXPORT_MAX_ROWS is a 400, whatever is running.
    const over = await fetch(`${url}/api/v1/runs/${runId}/events?limit=${BIG}`);
    expect(over.status).toBe(400);
    // The other routes keep answering while the export holds its connection.
    const t = Date.now();
    expect((await fetch(`${url}/api/v1/runs?limit=5`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(Date.now() - t).toBeLessThan(2000);

    // Read the stalled body only after the timeout: it ends broken, short of the full export.
    await new Promise((r) => setTimeout(r, Math.max(0, started + LIMITS.exportTimeoutMs + 500 - Date.now())));
    let received = 0;
    const read = (async () => {
      const reader = first.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += value.byteLength;
      }
    })();
    await expect(read).rejects.toThrow();
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(BIG * 40);
    await expect.poll(running, { timeout: 5000 }).toBe(0);
    const after = await fetch(`${url}/api/v1/runs/${runId}/events?limit=3`);
    expect(after.status).toBe(200);
    expect((await after.text()).trimEnd().split('\n')).toHaveLength(4);
  });

  it('a client that goes away frees the slot at once, not at the timeout', async () => {
    const res = await fetch(`${url}/api/v1/runs/${runId}/events`);
    expect(res.status).toBe(200);
    expect(await running()).toBe(1);
    const t = Date.now();
    await res.body!.cancel();
    await expect.poll(running, { timeout: 2000 }).toBe(0);
    expect(Date.now() - t).toBeLessThan(LIMITS.exportTimeoutMs);
    expect((await fetch(`${url}/api/v1/runs/${runId}/events?limit=1`)).status).toBe(200);
  });
});
