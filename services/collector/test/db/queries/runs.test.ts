import { NotFoundError } from '@queuescope/service-kit';
import { describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../../test/support/env.js';
import { requireRun } from '../../../src/db/queries/runs.js';
import { useCollector } from '../../helper.js';

const { config } = testConfig();

describe('requireRun', () => {
  const ctx = useCollector(config);

  it('returns the stored run', async () => {
    const id = uniqueRunId('require');
    expect((await ctx.app.inject({ method: 'POST', url: '/api/v1/runs', payload: { id, name: 'require' } })).statusCode).toBe(201);
    expect(await requireRun(ctx.app.db, id)).toMatchObject({ id, name: 'require', status: 'running' });
  });

  it('throws a 404 NotFoundError naming the run, prefixed by the parameter that carried it', async () => {
    const id = uniqueRunId('missing');
    const err = await requireRun(ctx.app.db, id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', message: `run '${id}' not found` });
    await expect(requireRun(ctx.app.db, id, 'b')).rejects.toThrow(`b: run '${id}' not found`);
  });
});
