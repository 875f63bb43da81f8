import { describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { useCollector } from '../helper.js';

const { config } = testConfig();

describe('an unknown run id', () => {
  const ctx = useCollector(config);
  const id = uniqueRunId('unknown');

  it.each([
    ['GET', `/api/v1/runs/${id}`, `run '${id}' not found`],
    ['GET', `/api/v1/runs/${id}/summary`, `run '${id}' not found`],
    ['POST', `/api/v1/runs/${id}/finish`, `run '${id}' not found`],
    ['GET', `/api/v1/runs/${id}/diagnosis`, `run '${id}' not found`],
    ['GET', `/api/v1/runs/${id}/events`, `run '${id}' not found`],
    ['GET', `/api/v1/runs/${id}/timeseries?metric=latency`, `run '${id}' not found`],
    ['GET', `/api/v1/compare?a=${id}&b=${id}`, `a: run '${id}' not found`],
  ] as const)('%s %s answers 404 naming the run', async (method, url, message) => {
    const res = await ctx.app.inject({ method, url });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ statusCode: 404, code: 'NOT_FOUND', message });
  });

  it('names parameter b when only b is unknown', async () => {
    const known = (await ctx.app.inject({ method: 'POST', url: '/api/v1/runs', payload: { name: 'known' } })).json().id as string;
    const res = await ctx.app.inject({ url: `/api/v1/compare?a=${known}&b=${id}` });
    expect(res.json()).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: `b: run '${id}' not found` });
  });

  it('is refused with 404 before client load is stored', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/api/v1/runs/${id}/client-summary`,
      payload: {
        source: 'builtin',
        requests: 1,
        accepted: 1,
        errors: 0,
        timeouts: 0,
        reqPerSec: 1,
        p50Ms: 1,
        p95Ms: 1,
        p99Ms: 1,
        maxMs: 1,
      },
    });
    expect(res.json()).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: `run '${id}' not found` });
  });
});
