import { queueKeys } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { build } from '../helper.js';

/**
 * REDIS_WAIT_REPLICAS on the single test Redis, which has no replica: WAIT can never be satisfied,
 * so every job is refused with a 503 after REDIS_WAIT_TIMEOUT_MS, although it was added (the client
 * retries with its Idempotency-Key). The cluster side is test/e2e/cluster-*.e2e.test.ts.
 */
const { config } = testConfig({ REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '100' });

describe('REDIS_WAIT_REPLICAS on a Redis without replicas', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await build(config);
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 503 naming Redis and the missing replica after the WAIT timeout; the job exists, and a retry is refused the same way', async () => {
    const runId = uniqueRunId();
    const send = () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/queues/webhook/jobs',
        headers: { 'content-type': 'application/json', 'x-run-id': runId, 'idempotency-key': `k-${runId}` },
        payload: JSON.stringify({ name: 'deliver', data: { n: 1 } }),
      });
    const started = Date.now();
    const res = await send();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      message: 'redis unavailable: only 0 of 1 replicas acknowledged the write within 100 ms',
    });
    const q = new Queue('webhook', {
      connection: { url: config.redisUrl },
      prefix: queueKeys(config.namespace, 'webhook').bullPrefix,
      skipMetasUpdate: true,
    });
    try {
      const jobs = await q.getJobs(['wait', 'prioritized', 'delayed', 'active'], 0, -1);
      expect(jobs.filter((j) => (j.data as { runId?: string }).runId === runId)).toHaveLength(1);
    } finally {
      await q.close();
    }
    // The retry finds the job but still cannot prove it replicated: not a 202 either.
    expect((await send()).statusCode).toBe(503);
  });
});
