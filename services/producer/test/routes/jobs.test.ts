import { queueKeys } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { build } from '../helper.js';

const { config } = testConfig({ PRODUCER_BODY_LIMIT: '4096' });

describe('POST /api/v1/queues/:queue/jobs and the demo endpoints', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await build(config);
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  it('answers 202 with a job id, and the job exists in BullMQ carrying the run id and payload', async () => {
    const runId = uniqueRunId();
    const res = await post('/api/v1/queues/webhook/jobs', { name: 'deliver', data: { n: 1 } }, { 'x-run-id': runId });
    expect(res.statusCode).toBe(202);
    const { jobId, queue, duplicate } = res.json<{ jobId: string; queue: string; duplicate: boolean }>();
    expect(queue).toBe('webhook');
    expect(duplicate).toBe(false);
    const q = new Queue('webhook', {
      connection: { url: config.redisUrl },
      prefix: queueKeys(config.namespace, 'webhook').bullPrefix,
      skipMetasUpdate: true,
    });
    const job = await q.getJob(jobId);
    await q.close();
    expect(job?.data).toEqual({ runId, input: { n: 1 } });
    expect(job?.opts.attempts).toBe(config.queues.webhook.attempts);
  });

  it('the demo endpoints enqueue on their own queue', async () => {
    const res = await post('/api/v1/payments', { amount: 12.5, currency: 'EUR', customerId: 'c-1' });
    expect(res.statusCode).toBe(202);
    expect(res.json().queue).toBe('payment');
    expect((await post('/api/v1/notifications', { channel: 'sms', to: '+100', message: 'hi' })).json().queue).toBe('notification');
    expect((await post('/api/v1/webhooks', { url: 'https://example.com/h', event: 'x' })).json().queue).toBe('webhook');
  });

  it.each([
    ['wrong type', '/api/v1/payments', { amount: '12', currency: 'EUR', customerId: 'c' }, /amount/],
    ['missing field', '/api/v1/payments', { amount: 1, currency: 'EUR' }, /customerId/],
    ['bad pattern', '/api/v1/payments', { amount: 1, currency: 'euro', customerId: 'c' }, /currency/],
    ['unknown field', '/api/v1/notifications', { channel: 'sms', to: 'x', message: 'm', extra: 1 }, /additional/],
    ['bad enum', '/api/v1/notifications', { channel: 'fax', to: 'x', message: 'm' }, /channel/],
    ['missing job name', '/api/v1/queues/payment/jobs', { data: {} }, /name/],
    ['negative delay', '/api/v1/queues/payment/jobs', { name: 'x', delayMs: -1 }, /delayMs/],
  ])('400 naming the field for %s', async (_what, url, body, field) => {
    const res = await post(url, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(field);
    expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('400 for malformed JSON', async () => {
    const res = await post('/api/v1/queues/payment/jobs', '{"name": ');
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/JSON/);
  });

  it('400 naming the header for a malformed X-Run-Id', async () => {
    const res = await post('/api/v1/queues/payment/jobs', { name: 'x' }, { 'x-run-id': 'has spaces and ;' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/x-run-id/);
  });

  it('404 naming the queue for an unknown queue', async () => {
    const res = await post('/api/v1/queues/emails/jobs', { name: 'x' });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/emails/);
  });

  it('413 for a body over the limit', async () => {
    const res = await post('/api/v1/queues/payment/jobs', { name: 'x', data: { blob: 'a'.repeat(5000) } });
    expect(res.statusCode).toBe(413);
  });

  it('readyz is 200 while Redis answers', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
  });
});
