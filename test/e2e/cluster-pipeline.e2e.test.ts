/**
 * The spine on the local Redis Cluster (REDIS_CLUSTER_NODES, `npm run cluster:up`): producer →
 * BullMQ on the cluster → worker processes → each queue's events stream on its own slot →
 * collector → QuestDB, checked against BullMQ's own job records; and the samplers' one
 * `redis_stats` row per master and second, plus their sum.
 */
import { QUEUE_NAMES, queueKeys, type QueueName } from '@queuescope/contracts';
import { createRedis, keySlot, masters, nodeAddress, nodeForKey } from '@queuescope/service-kit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, readTruth } from '../support/bullmq-truth.js';
import { CLUSTER_NODES, clusterMasters, masterOfKey, useCluster } from '../support/cluster.js';
import { uniqueRunId } from '../support/env.js';
import { expectExactlyOnce, waitAllFinished } from '../support/invariants.js';
import { pollQuery, questdbClient } from '../support/questdb.js';
import { sendJobs, startStack, type TestStack } from '../support/stack.js';

const JOBS_PER_QUEUE = 300;

describe('pipeline on a Redis Cluster: 900 jobs through 3 worker processes', () => {
  const runId = uniqueRunId('cluster');
  let cluster: ReturnType<typeof useCluster> | undefined;
  let stack: TestStack;
  let db: pg.Client;
  let bull: ReturnType<typeof openQueues>;
  let accepted: Map<QueueName, string[]>;
  const startedAt = new Date();

  beforeAll(async () => {
    cluster = useCluster();
    stack = await startStack(
      {
        REDIS_CLUSTER_NODES: CLUSTER_NODES,
        QUEUE_PAYMENT_LATENCY: 'uniform:1:4',
        QUEUE_PAYMENT_FAILURE_RATE: '0.3',
        QUEUE_PAYMENT_ATTEMPTS: '3',
        QUEUE_PAYMENT_BACKOFF: 'fixed:5',
        QUEUE_NOTIFICATION_LATENCY: 'fixed:2',
        QUEUE_NOTIFICATION_FAILURE_RATE: '0.2',
        QUEUE_NOTIFICATION_ATTEMPTS: '2',
        QUEUE_NOTIFICATION_BACKOFF: 'fixed:5',
        QUEUE_WEBHOOK_LATENCY: 'fixed:3',
        QUEUE_WEBHOOK_FAILURE_RATE: '0.3',
        QUEUE_WEBHOOK_ATTEMPTS: '3',
        QUEUE_WEBHOOK_BACKOFF: 'fixed:5',
      },
      3,
    );
    db = await questdbClient(stack.config);
    bull = openQueues(stack.config);
  });

  afterAll(async () => {
    await stack?.stop();
    await db?.end();
    await bull?.close();
    cluster?.release();
  });

  it('computes the slot of every queue key as the cluster does, and the queues do not all share one master', async () => {
    const owners = new Set<string>();
    const client = createRedis(stack.config, 'collector');
    try {
      await client.ping();
      for (const q of QUEUE_NAMES) {
        const key = queueKeys(stack.config.namespace, q).events;
        const { slot, master } = await masterOfKey(key);
        expect(keySlot(key)).toBe(slot);
        expect(nodeAddress(nodeForKey(client, key)!)).toBe(master);
        owners.add(master);
      }
      expect(masters(client).map(nodeAddress).sort()).toEqual(await clusterMasters());
    } finally {
      client.disconnect();
    }
    // Three namespaced hash tags on three masters: usually spread, at worst all on one (1 in 9).
    expect(owners.size).toBeGreaterThanOrEqual(1);
  });

  it('accepts every job with 202, and every job finishes in BullMQ', async () => {
    const sent = await sendJobs(stack.producerUrl, runId, {
      payment: JOBS_PER_QUEUE,
      notification: JOBS_PER_QUEUE,
      webhook: JOBS_PER_QUEUE,
    });
    accepted = sent.accepted;
    expect(sent.statuses.filter((s) => s !== 202)).toEqual([]);
    expect(await waitAllFinished(bull.queues.values(), 3 * JOBS_PER_QUEUE)).toBe(3 * JOBS_PER_QUEUE);
  });

  it('stores every event of every job exactly once in QuestDB', async () => {
    const truth = await readTruth(bull.queues, runId);
    for (const q of QUEUE_NAMES) expect(truth.jobs.get(q)!.length).toBe(JOBS_PER_QUEUE);
    await expectExactlyOnce(db, { runId, truth, accepted });
  });

  it('events sent to POST /api/v1/events are stored too (the ingest stream is one more slot)', async () => {
    const now = Date.now() * 1000;
    const ingestRun = `${runId}-ingest`;
    const res = await fetch(`${stack.collectorUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.collectorHeaders },
      body: JSON.stringify({
        events: Array.from({ length: 3 }, (_, i) => ({
          ts: now + i,
          run_id: ingestRun,
          queue: 'external',
          job_id: `x-${i}`,
          job_name: 'ext',
          event: 'added',
          attempt: 0,
          worker: 'ext-host:1',
        })),
      }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const rows = await pollQuery(
      db,
      `SELECT job_id FROM job_events WHERE run_id = $1 AND queue = 'external'`,
      [ingestRun],
      (r) => r.length === 3,
      30_000,
    );
    expect(rows).toHaveLength(3);
  });

  it('the samplers write one redis_stats row per master per second, and a `cluster` row with their sum', async () => {
    const wanted = await clusterMasters();
    type Row = { redis: string; n: number };
    const sql = `SELECT redis, count() AS n FROM redis_stats WHERE ts >= $1 GROUP BY redis`;
    const rows = await pollQuery<Row>(
      db,
      sql,
      [startedAt.toISOString()],
      (r) => wanted.every((m) => r.some((x) => x.redis === m)) && r.some((x) => x.redis === 'cluster'),
      30_000,
    );
    const byName = new Map(rows.map((r) => [r.redis, Number(r.n)]));
    for (const m of wanted) expect(byName.get(m)).toBeGreaterThan(0);
    // One second's rows: the sum row's ops/s and memory are the masters' added up.
    const second = await db.query<{ redis: string; ops: number; mem: number; ts: Date }>(
      `SELECT redis, ops_per_sec AS ops, used_memory_bytes AS mem, ts FROM redis_stats WHERE ts = (SELECT max(ts) FROM redis_stats WHERE redis = 'cluster' AND ts >= $1)`,
      [startedAt.toISOString()],
    );
    const sum = second.rows.find((r) => r.redis === 'cluster')!;
    const parts = second.rows.filter((r) => wanted.includes(r.redis));
    expect(parts.map((r) => r.redis).sort()).toEqual(wanted);
    expect(Number(sum.mem)).toBe(parts.reduce((n, r) => n + Number(r.mem), 0));
    expect(Number(sum.ops)).toBeCloseTo(
      parts.reduce((n, r) => n + Number(r.ops), 0),
      6,
    );
  });
});
