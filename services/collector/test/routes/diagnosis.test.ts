import type { RunDiagnosis, RunSummary } from '@queuescope/contracts';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/analytics/diagnosis.js';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { useCollector } from '../helper.js';
import { FAILING, HEALTHY, finishedRunWith } from './run-fixture.js';

const { config } = testConfig();

describe('diagnosis API', () => {
  const ctx = useCollector(config);

  it('answers everything diagnose() computes, with the run summary: the response schema drops no field', async () => {
    const run = await finishedRunWith(ctx.app, ctx.db, uniqueRunId('diag-shape'), [HEALTHY, FAILING]);
    const res = await ctx.app.inject({ url: `/api/v1/runs/${run.id}/diagnosis` });
    expect(res.statusCode).toBe(200);
    const body = res.json<RunDiagnosis>();
    expect(body).toEqual(JSON.parse(JSON.stringify(await diagnose(ctx.app.db, config, run))));
    // The summary inside is the summary route's answer, so the run page needs one request.
    const summary = (await ctx.app.inject({ url: `/api/v1/runs/${run.id}/summary` })).json<RunSummary>();
    expect(body.summary).toEqual(summary);
    // The failing webhook queue ranks first with a `retrying` cause whose evidence and capacity are complete.
    const [first] = body.queues;
    expect(first).toMatchObject({ rank: 1, queue: 'webhook', verdict: 'fail', cause: { cause: 'retrying' } });
    expect(first!.cause!.evidence).toMatchObject({
      retries: 10,
      failed: 20,
      topErrors: [
        { error: 'downstream 503', count: 20 },
        { error: 'retry', count: 10 },
      ],
    });
    expect(Object.keys(first!.capacity)).toHaveLength(16);
  });

  it('404 names an unknown run', async () => {
    const res = await ctx.app.inject({ url: '/api/v1/runs/no-such-run/diagnosis' });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/no-such-run/);
  });
});
