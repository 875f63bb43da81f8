import { queueKeys } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build as buildCollector } from '../../services/collector/test/helper.js';
import { testConfig, uniqueRunId } from '../support/env.js';
import { pollQuery, questdbClient } from '../support/questdb.js';
import { build } from '../../services/producer/test/helper.js';

const { config } = testConfig();

describe('Idempotency-Key', () => {
  let producer: FastifyInstance;
  let collector: FastifyInstance;
  let db: pg.Client;
  let queue: Queue;

  beforeAll(async () => {
    producer = await build(config);
    collector = await buildCollector(config);
    db = await questdbClient(config);
    queue = new Queue('payment', { connection: { url: config.redisUrl }, prefix: queueKeys(config.namespace, 'payment').bullPrefix });
  });
  afterAll(async () => {
    await producer.close();
    await collector.close();
    await db.end();
    await queue.close();
  });

  const pay = (key: string, runId: string, amount = 10) =>
    producer.inject({
      method: 'POST',
      url: '/api/v1/payments',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-run-id': runId },
      payload: JSON.stringify({ amount, currency: 'EUR', customerId: 'c-1' }),
    });

  it('a repeated key returns the same job, creates no second job and no second added row', async () => {
    const runId = uniqueRunId('idem');
    const key = `key-${runId}`;
    const first = await pay(key, runId);
    // The same request again, sequentially and concurrently (a client retrying on a timeout).
    const again = await Promise.all([pay(key, runId), pay(key, runId), pay(key, runId)]);
    expect(first.statusCode).toBe(202);
    const jobId = first.json().jobId as string;
    for (const res of again) {
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ jobId, duplicate: true });
    }
    const jobs = (await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'], 0, -1)).filter(
      (j) => j.data.runId === runId,
    );
    expect(jobs.map((j) => j.id)).toEqual([jobId]);
    // A different request in the same run proves the collector has caught up past ours.
    const marker = await pay(`marker-${runId}`, runId);
    await pollQuery<{ n: number }>(
      db,
      `SELECT count() AS n FROM job_events WHERE run_id = $1 AND job_id = $2`,
      [runId, marker.json().jobId],
      (r) => r[0]?.n === 1,
    );
    const rows = await db.query<{ n: number }>(
      `SELECT count() AS n FROM job_events WHERE run_id = $1 AND job_id = $2 AND event = 'added'`,
      [runId, jobId],
    );
    expect(rows.rows[0]?.n).toBe(1);
  });

  it('a key reused with a different body is refused with 422 and makes no job', async () => {
    const runId = uniqueRunId('idem');
    const key = `key-${runId}`;
    expect((await pay(key, runId, 10)).statusCode).toBe(202);
    const conflict = await pay(key, runId, 99);
    expect(conflict.statusCode).toBe(422);
    expect(conflict.json().message).toMatch(/Idempotency-Key/);
    const jobs = (await queue.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed'], 0, -1)).filter(
      (j) => j.data.runId === runId,
    );
    expect(jobs).toHaveLength(1);
  });
});
