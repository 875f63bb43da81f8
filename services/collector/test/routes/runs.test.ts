import type { RunListItem, RunPage, RunSummary } from '@queuescope/contracts';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/analytics/summary.js';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { useCollector } from '../helper.js';
import { FAILING, HEALTHY, finishedRunWith } from './run-fixture.js';

const { config } = testConfig();

describe('runs API', () => {
  const ctx = useCollector(config);

  const create = (payload: unknown) => ctx.app.inject({ method: 'POST', url: '/api/v1/runs', payload: payload as object });

  it('creates a run that is readable at once, lists it newest first, and finishes it idempotently', async () => {
    const first = await create({ name: 'first', scenario: 'smoke', engine: 'builtin', config: { vus: 10, workers: 5 } });
    const second = await create({ name: 'second' });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    const a = first.json();
    expect(a).toMatchObject({
      name: 'first',
      scenario: 'smoke',
      engine: 'builtin',
      status: 'running',
      config: { vus: 10, workers: 5 },
      endedAt: null,
    });
    expect((await ctx.app.inject({ url: `/api/v1/runs/${a.id}` })).json()).toEqual(a);

    const list = (await ctx.app.inject({ url: '/api/v1/runs?limit=500' })).json();
    const ids = list.runs.map((r: { id: string }) => r.id);
    expect(ids.indexOf(second.json().id)).toBeLessThan(ids.indexOf(a.id));
    const page = (await ctx.app.inject({ url: '/api/v1/runs?limit=1&offset=1' })).json();
    expect(page.runs).toHaveLength(1);
    expect(page.runs[0].id).toBe(ids[1]);

    const finished = await ctx.app.inject({ method: 'POST', url: `/api/v1/runs/${a.id}/finish?status=aborted` });
    expect(finished.statusCode).toBe(200);
    expect(finished.json()).toMatchObject({ id: a.id, status: 'aborted' });
    expect(Date.parse(finished.json().endedAt)).toBeGreaterThanOrEqual(Date.parse(a.startedAt));
    const again = await ctx.app.inject({ method: 'POST', url: `/api/v1/runs/${a.id}/finish` });
    expect(again.json()).toEqual(finished.json());
    const rows = await ctx.db.query<{ n: number }>(`SELECT count() AS n FROM runs WHERE id = $1`, [a.id]);
    expect(rows.rows[0]?.n).toBe(1);
  });

  it('a chosen id is kept, and reusing it is a 409', async () => {
    const id = uniqueRunId('chosen');
    expect((await create({ name: 'x', id })).json().id).toBe(id);
    const dup = await create({ name: 'y', id });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().message).toContain(id);
  });

  it('the summary of a run without events says no-data', async () => {
    const run = (await create({ name: 'empty' })).json();
    const res = await ctx.app.inject({ url: `/api/v1/runs/${run.id}/summary` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ verdict: 'no-data', queues: [] });
  });

  it.each([
    ['missing name', { scenario: 'x' }, /name/],
    ['empty name', { name: '' }, /name/],
    ['wrong type', { name: 'x', config: 'vus=10' }, /config/],
    ['unknown field', { name: 'x', colour: 'red' }, /additional/],
    ['bad id', { name: 'x', id: "x' OR '1'='1" }, /id/],
  ])('POST /api/v1/runs: 400 for %s, naming the field', async (_what, body, field) => {
    const res = await create(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(field);
  });

  it.each([
    ['/api/v1/runs?limit=0', 400, /limit/],
    ['/api/v1/runs?limit=abc', 400, /limit/],
    ['/api/v1/runs?offset=-1', 400, /offset/],
    ['/api/v1/runs/does-not-exist', 404, /does-not-exist/],
    ['/api/v1/runs/does-not-exist/summary', 404, /does-not-exist/],
    [`/api/v1/runs/${encodeURIComponent("x'; DROP TABLE runs;--")}`, 400, /id/],
  ])('GET %s → %i naming the problem', async (url, status, message) => {
    const res = await ctx.app.inject({ url });
    expect(res.statusCode).toBe(status);
    expect(res.json().message).toMatch(message);
  });

  it('finishing an unknown run is a 404 and a bad status a 400', async () => {
    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/runs/nope-nope/finish' })).statusCode).toBe(404);
    const run = (await create({ name: 'z' })).json();
    const bad = await ctx.app.inject({ method: 'POST', url: `/api/v1/runs/${run.id}/finish?status=done` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/status/);
  });

  it('injection-looking names are stored verbatim and change nothing', async () => {
    const name = "x'); DROP TABLE runs; --";
    const run = (await create({ name })).json();
    expect(run.name).toBe(name);
    const tables = await ctx.db.query<{ table_name: string }>(`SELECT table_name FROM tables() WHERE table_name IN ('runs', 'job_events')`);
    expect(tables.rows.map((r) => r.table_name).sort()).toEqual(['job_events', 'runs']);
  });

  it('the summary response is everything summarize() computes: the response schema drops no field', async () => {
    const run = await finishedRunWith(ctx.app, ctx.db, uniqueRunId('summary-shape'), [HEALTHY, FAILING]);
    const res = await ctx.app.inject({ url: `/api/v1/runs/${run.id}/summary` });
    expect(res.statusCode).toBe(200);
    const expected = JSON.parse(JSON.stringify(await summarize(ctx.app.db, config, run))) as RunSummary;
    expect(expected.queues.map((q) => q.queue)).toEqual(['notification', 'webhook']);
    expect(res.json()).toEqual(expected);
    // Spot checks that would fail if a nested object had lost its fields.
    const webhook = res.json<RunSummary>().queues.find((q) => q.queue === 'webhook')!;
    expect(webhook).toMatchObject({ jobs: 40, failed: 20, retries: 10, slo: { verdict: 'fail' } });
    expect(Object.keys(webhook.latency).sort()).toEqual(['max', 'p50', 'p95', 'p99']);
    expect(webhook.slo.checks).toHaveLength(3);
  });

  it('list items carry jobs, the worst verdict and each queue verdict, the same as each run summary says', async () => {
    const passing = await finishedRunWith(ctx.app, ctx.db, uniqueRunId('list-pass'), [HEALTHY]);
    const failing = await finishedRunWith(ctx.app, ctx.db, uniqueRunId('list-fail'), [HEALTHY, FAILING]);
    const empty = (await create({ name: uniqueRunId('list-empty') })).json();
    const list = (await ctx.app.inject({ url: '/api/v1/runs?limit=10' })).json<RunPage>();
    const item = (id: string): RunListItem => {
      const found = list.runs.find((r) => r.id === id);
      expect(found, id).toBeDefined();
      return found!;
    };
    for (const run of [passing, failing]) {
      const summary = (await ctx.app.inject({ url: `/api/v1/runs/${run.id}/summary` })).json<RunSummary>();
      expect(item(run.id)).toEqual({
        ...summary.run,
        jobs: summary.jobs,
        verdict: summary.verdict,
        queues: summary.queues.map((q) => ({ queue: q.queue, jobs: q.jobs, verdict: q.slo.verdict })),
      });
    }
    expect(item(passing.id)).toMatchObject({ jobs: 40, verdict: 'pass', queues: [{ queue: 'notification', jobs: 40, verdict: 'pass' }] });
    expect(item(failing.id)).toMatchObject({
      jobs: 80,
      verdict: 'fail',
      queues: [
        { queue: 'notification', verdict: 'pass' },
        { queue: 'webhook', verdict: 'fail' },
      ],
    });
    expect(item(empty.id)).toMatchObject({ jobs: 0, verdict: 'no-data', queues: [] });
  });
});
