import type { RunListItem, RunPage, RunSummary } from '@queuescope/contracts';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/analytics/summary.js';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { pollQuery } from '../../../../test/support/questdb.js';
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
      const { config: _config, clientSummary: _clientSummary, ...head } = summary.run;
      expect(item(run.id)).toEqual({
        ...head,
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

  it('list items are lean: no config and no client summary, which GET /runs/:id keeps', async () => {
    const config = { vus: 10, stages: [{ durationMs: 1000, target: 10 }], note: 'x'.repeat(1000) };
    const run = (await create({ name: uniqueRunId('lean'), config })).json();
    const list = (await ctx.app.inject({ url: '/api/v1/runs?limit=500' })).json<RunPage>();
    const item = list.runs.find((r) => r.id === run.id)!;
    expect(Object.keys(item).sort()).toEqual([
      'endedAt',
      'engine',
      'id',
      'jobs',
      'name',
      'queues',
      'scenario',
      'startedAt',
      'status',
      'verdict',
    ]);
    expect(JSON.stringify(list)).not.toContain('x'.repeat(1000));
    expect((await ctx.app.inject({ url: `/api/v1/runs/${run.id}` })).json()).toMatchObject({ config, clientSummary: null });
  });

  const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
  it.each([
    ['nested 4 levels deep (3 allowed)', { name: 'x', config: nested(4) }],
    ['a string of 1025 characters', { name: 'x', config: { note: 'x'.repeat(1025) } }],
    ['65 keys', { name: 'x', config: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) }],
    ['a key of 129 characters', { name: 'x', config: { ['k'.repeat(129)]: 1 } }],
    ['an array of 257 items', { name: 'x', config: { stages: Array.from({ length: 257 }, () => 1) } }],
  ])('POST /api/v1/runs: config with %s is a 400 naming config', async (_what, body) => {
    const res = await create(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/config/);
  });

  it('POST /api/v1/runs: a number JSON.parse reads as Infinity (1e999) is a 400, not a null stored in its place', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/runs',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"inf","config":{"vus":1e999}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/config\/vus/);
  });

  it('a hostile row stored straight into QuestDB never makes a read fail: its JSON fields read as null', async () => {
    // What rows written before the checks (or by hand) can hold: JSON that does not parse, JSON of
    // the wrong shape (the string `rate`), a status outside the enum.
    const hostile = [
      { id: uniqueRunId('hostile-text'), status: 'finished', config: 'not json{', summary: '{"source":"k6","requests":' },
      {
        id: uniqueRunId('hostile-shape'),
        status: 'exploded',
        config: '[1,2,3]',
        summary: JSON.stringify({ source: 'k6', requests: 'many', accepted: null, errors: 0, timeouts: null, reqPerSec: 'fast' }),
      },
      {
        id: uniqueRunId('hostile-deep'),
        status: 'running',
        config: JSON.stringify(nested(200)),
        summary: JSON.stringify({
          source: 'k6',
          requests: 1,
          accepted: 1,
          errors: 0,
          timeouts: 0,
          reqPerSec: null,
          p50Ms: 'x',
          p95Ms: {},
          p99Ms: [],
          maxMs: true,
        }),
      },
    ];
    for (const h of hostile) {
      await ctx.db.query(
        `INSERT INTO runs (ts, id, name, scenario, engine, status, config, ended_at, client_summary) VALUES (now(), $1, $2, NULL, NULL, $3, $4, now(), $5)`,
        [h.id, `hostile ${h.id}`, h.status, h.config, h.summary],
      );
    }
    await pollQuery<{ n: number }>(
      ctx.db,
      `SELECT count() AS n FROM runs WHERE id IN ($1, $2, $3)`,
      hostile.map((h) => h.id),
      (r) => r[0]?.n === 3,
    );
    const list = await ctx.app.inject({ url: '/api/v1/runs?limit=500' });
    expect(list.statusCode, list.body).toBe(200);
    const ids = list.json<RunPage>().runs.map((r) => r.id);
    for (const h of hostile) expect(ids).toContain(h.id);
    for (const h of hostile) {
      const one = await ctx.app.inject({ url: `/api/v1/runs/${h.id}` });
      expect(one.statusCode, one.body).toBe(200);
      expect(one.json()).toMatchObject({ id: h.id, config: null, clientSummary: null });
      expect(['running', 'finished', 'aborted']).toContain(one.json().status);
      const summary = await ctx.app.inject({ url: `/api/v1/runs/${h.id}/summary` });
      expect(summary.statusCode, summary.body).toBe(200);
      expect(summary.json()).toMatchObject({ run: { id: h.id, config: null }, client: { summary: null } });
      const diagnosis = await ctx.app.inject({ url: `/api/v1/runs/${h.id}/diagnosis` });
      expect(diagnosis.statusCode, diagnosis.body).toBe(200);
    }
    const compare = await ctx.app.inject({ url: `/api/v1/compare?a=${hostile[0]!.id}&b=${hostile[1]!.id}` });
    expect(compare.statusCode, compare.body).toBe(200);
    expect(compare.json()).toMatchObject({ a: { run: { id: hostile[0]!.id, clientSummary: null } }, b: { run: { config: null } } });
  });
});
