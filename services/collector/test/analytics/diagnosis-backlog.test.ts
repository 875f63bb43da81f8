/**
 * Issue 11, item 7: diagnosis sees the whole queue. The filed case, written to the real QuestDB:
 * payment (5 worker processes × 5 = 25 slots, 54 ms a job: μ = 25/0.054 ≈ 463 jobs/s) already held
 * 50,000 waiting jobs when the run started, so the run's payments waited ~108 s (50,000/463). The
 * run itself added only ~13.9 payments/s (ρ of its own 0.03, Little's law 2 slots), while other
 * clients — another run and jobs without a run id — added 400/s more to the same queue. Utilisation
 * and the recommendation must count every arrival, never recommend fewer than the current 25 slots,
 * and state the backlog at the start with its drain time.
 */
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueueDiagnosis } from '@queuescope/contracts';
import { diagnose } from '../../src/analytics/diagnosis.js';
import type { Database } from '../../src/db/database.js';
import configPlugin from '../../src/plugins/config.js';
import questdb from '../../src/plugins/questdb.js';
import diagnosisRoute from '../../src/routes/diagnosis.js';
import { testConfig, uniqueRunId } from '../../../../test/support/env.js';
import { pollQuery, questdbClient, waitForViews } from '../../../../test/support/questdb.js';
import { insertJobs, openDb, runOf, waitForRows } from './fixture.js';

const { config } = testConfig();
// Every `payment` event in a run's window counts, whatever its run id, and `job_events` has no
// namespace: the runs lie in whole seconds days in the past, picked at random, that no other test
// (nor live traffic) writes to.
const T_MIXED = Math.floor((Date.now() - (2 + Math.random() * 20) * 86_400_000) / 1000) * 1000;
/** The second case, an hour later: the same backlog, but no other traffic during the run. */
const T_ALONE = T_MIXED + 3_600_000;
const RUN_MS = 20_000;
const RUN_CONFIG = { workers: 5, concurrency: { payment: 5, notification: 10, webhook: 8 } };
const SLOTS = 25;
const RUN_TIME_MS = 54;
const BACKLOG = 50_000;
/** μ: 25 slots of 54 ms, and the measured throughput too (one completion every 2.16 ms). */
const SERVICE_RATE = SLOTS / (RUN_TIME_MS / 1000);
const COMPLETION_STEP_MS = 2.16;
/** The run's own payments: one every 72 ms, each waiting 108 s behind the backlog. */
const OWN = { n: 277, stepMs: 72 };
/** Other clients' payments, one every 5 ms each: without a run id from T+5 ms, another run's from T+7.5 ms. */
const OTHER = { n: 3999, stepMs: 5 };
/** λ of the mixed case: every `added` in the run, 277 own + 2 × 3999 others, from T+5 ms to T+19.9975 s. */
const MIXED_LAMBDA = (OWN.n + 2 * OTHER.n - 1) / ((2.5 + OTHER.n * OTHER.stepMs - OTHER.stepMs) / 1000);

describe('diagnosis of a run that starts behind a backlog on a shared queue', () => {
  let client: pg.Client;
  let app: FastifyInstance;
  let db: Kysely<Database>;
  const mixed = uniqueRunId('diag-backlog-mixed');
  const alone = uniqueRunId('diag-backlog-alone');
  const other = uniqueRunId('diag-backlog-other');

  /** The run's own jobs, the backlog's jobs finishing during the run, `queue_depth` samples and, if asked, other clients' arrivals. */
  const writeCase = async (runId: string, t0: number, others: boolean): Promise<void> => {
    const own = await insertJobs(client, runId, {
      queue: 'payment',
      n: OWN.n,
      startMs: t0,
      stepMs: OWN.stepMs,
      wait: '108000',
      run: String(RUN_TIME_MS),
    });
    const light = await insertJobs(client, runId, { queue: 'notification', n: 100, startMs: t0, stepMs: 200, wait: '1', run: '5' });
    const ts = (offsetMs: string): string => `cast(${t0 * 1000} + cast((${offsetMs}) * 1000 AS long) AS timestamp)`;
    const cols = 'ts, run_id, queue, event, job_id, job_name, attempt, worker, wait_ms, run_ms, latency_ms, error';
    // Jobs of the backlog (added before the run, without a run id) start and finish at μ throughout the run.
    const backlogJobs = Math.ceil(RUN_MS / COMPLETION_STEP_MS);
    const statements = [
      `INSERT INTO job_events (${cols}) SELECT ${ts(`x * ${COMPLETION_STEP_MS}`)}, NULL, 'payment', 'active', '${runId}-backlog-' || x, 'j', 1, 'w1', NULL, NULL, NULL, NULL FROM long_sequence(${backlogJobs})`,
      `INSERT INTO job_events (${cols}) SELECT ${ts(`x * ${COMPLETION_STEP_MS} + ${RUN_TIME_MS}`)}, NULL, 'payment', 'completed', '${runId}-backlog-' || x, 'j', 1, 'w1', NULL, ${RUN_TIME_MS}, NULL, NULL FROM long_sequence(${backlogJobs})`,
    ];
    let rows = 2 * backlogJobs;
    if (others) {
      // Still waiting behind the backlog when the run ends: only their `added` lies in its window.
      statements.push(
        `INSERT INTO job_events (${cols}) SELECT ${ts(`x * ${OTHER.stepMs}`)}, NULL, 'payment', 'added', '${runId}-norun-' || x, 'j', 0, 'producer', NULL, NULL, NULL, NULL FROM long_sequence(${OTHER.n})`,
        `INSERT INTO job_events (${cols}) SELECT ${ts(`2.5 + x * ${OTHER.stepMs}`)}, '${other}', 'payment', 'added', '${other}-' || x, 'j', 0, 'producer', NULL, NULL, NULL, NULL FROM long_sequence(${OTHER.n})`,
      );
      rows += 2 * OTHER.n;
    }
    for (const s of statements) await client.query(s);
    // 50,100 waiting half a minute before the start, 50,000 a second before it (the backlog at start), then slowly down.
    const depth: [number, number][] = [
      [-30_000, 50_100],
      [-1000, BACKLOG],
      [1000, 49_951],
      [10_000, 49_500],
      [19_000, 49_069],
    ];
    for (const [offsetMs, waiting] of depth) {
      await client.query(
        `INSERT INTO queue_depth (ts, namespace, queue, waiting, active, delayed, failed) VALUES ($1, $2, 'payment', $3, ${SLOTS}, 0, 0)`,
        [new Date(t0 + offsetMs).toISOString(), config.namespace, waiting],
      );
    }
    await waitForRows(client, runId, own + light);
    const window = [new Date(t0 - 60_000).toISOString(), new Date(t0 + 200_000).toISOString()];
    const expected = own + rows;
    await pollQuery<{ n: number }>(
      client,
      `SELECT count() AS n FROM job_events WHERE queue = 'payment' AND ts >= $1 AND ts < $2`,
      window,
      (r) => r[0]?.n === expected,
      20_000,
    );
    await pollQuery<{ n: number }>(
      client,
      'SELECT count() AS n FROM queue_depth WHERE namespace = $1 AND ts >= $2 AND ts < $3',
      [config.namespace, ...window],
      (r) => r[0]?.n === depth.length,
      20_000,
    );
    await waitForViews(client);
  };

  beforeAll(async () => {
    client = await questdbClient(config);
    ({ db, app } = await openDb(config));
    await writeCase(mixed, T_MIXED, true);
    await writeCase(alone, T_ALONE, false);
  });

  afterAll(async () => {
    await app?.close();
    await client?.end();
  });

  const paymentOf = async (runId: string, t0: number): Promise<QueueDiagnosis> => {
    const d = await diagnose(db, config, runOf(runId, t0, t0 + RUN_MS, RUN_CONFIG));
    expect(d.queues.map((q) => [q.rank, q.queue, q.healthy])).toEqual([
      [1, 'payment', false],
      [2, 'notification', true],
    ]);
    return d.queues[0]!;
  };

  it("counts every arrival to the queue: utilisation ~0.89, not the run's own 0.03, and 32 slots recommended", async () => {
    const payment = await paymentOf(mixed, T_MIXED);
    const lambda = MIXED_LAMBDA;
    const ownLambda = 1000 / OWN.stepMs;
    const { capacity } = payment;
    expect(capacity).toMatchObject({ arrivalSource: 'queue', concurrency: SLOTS, workersSource: 'run-config' });
    expect(capacity.meanRunMs).toBeCloseTo(RUN_TIME_MS, 6);
    expect(capacity.runArrivalRate).toBeCloseTo(ownLambda, 6);
    expect(capacity.arrivalRate).toBeCloseTo(lambda, 6);
    // The run alone would give ρ = 13.9 · 0.054 / 25 = 0.03; every arrival gives ≈ 0.894.
    expect((ownLambda * RUN_TIME_MS) / 1000 / SLOTS).toBeCloseTo(0.03, 3);
    expect(capacity.utilisation).toBeCloseTo((lambda * RUN_TIME_MS) / 1000 / SLOTS, 6);
    expect(capacity.utilisation!).toBeGreaterThanOrEqual(0.85);
    expect(capacity.serviceRate).toBeCloseTo(SERVICE_RATE, 3);

    expect(payment.cause?.cause).toBe('waiting');
    expect(payment.cause?.because[0]).toMatch(/^utilisation/);
    if (payment.cause?.cause !== 'waiting') throw new Error('unreachable');
    const rec = payment.cause.recommendation;
    expect(rec.concurrency).toBe(Math.ceil((lambda * RUN_TIME_MS) / 1000 / 0.7));
    expect(rec.concurrency!).toBeGreaterThanOrEqual(SLOTS);
    expect(rec).toMatchObject({
      atLeastCurrent: false,
      perProcessConcurrency: Math.ceil(rec.concurrency! / 5),
      backlog: 49_069,
      drains: true,
    });
    expect(rec.text).toMatch(/^Raise payment concurrency from 25 to 32 in total/);
  });

  it('states the backlog at the start with how long it held a job (~108 s) and its drain time', async () => {
    const payment = await paymentOf(mixed, T_MIXED);
    const wait = BACKLOG / SERVICE_RATE;
    const drain = BACKLOG / (SERVICE_RATE - MIXED_LAMBDA);
    expect(wait).toBeCloseTo(108, 0);
    expect(payment.capacity).toMatchObject({ backlogAtStart: BACKLOG, backlogAtStartAt: new Date(T_MIXED - 1000).toISOString() });
    expect(payment.capacity.backlogAtStartWaitSeconds).toBeCloseTo(wait, 3);
    expect(payment.capacity.backlogAtStartDrainSeconds).toBeCloseTo(drain, 0);
    if (payment.cause?.cause !== 'waiting') throw new Error('unreachable');
    expect(payment.cause.evidence).toMatchObject({
      backlogAtStart: BACKLOG,
      backlogAtStartWaitSeconds: payment.capacity.backlogAtStartWaitSeconds,
      backlogAtStartDrainSeconds: payment.capacity.backlogAtStartDrainSeconds,
    });
    expect(payment.cause.because).toContainEqual(expect.stringMatching(/^the run started behind a backlog of 50000 jobs/));
    expect(payment.cause.recommendation.text).toContain('The run started behind a backlog of 50000 waiting jobs');
  });

  it("never recommends fewer slots than the current 25 when only the backlog is there (Little's law alone: 2)", async () => {
    const payment = await paymentOf(alone, T_ALONE);
    const lambda = 1000 / OWN.stepMs;
    expect(payment.capacity.arrivalRate).toBeCloseTo(lambda, 6);
    expect(payment.capacity.utilisation).toBeCloseTo(0.03, 3);
    expect(payment.capacity.backlogAtStart).toBe(BACKLOG);
    expect(payment.capacity.backlogAtStartDrainSeconds).toBeCloseTo(BACKLOG / (SERVICE_RATE - lambda), 0);
    expect(payment.cause?.cause).toBe('waiting');
    // Not saturated: the backlog it started behind is what makes it wait.
    expect(payment.cause?.because[0]).toMatch(/^the run started behind a backlog/);
    if (payment.cause?.cause !== 'waiting') throw new Error('unreachable');
    expect(Math.ceil((lambda * RUN_TIME_MS) / 1000 / 0.7)).toBe(2);
    expect(payment.cause.recommendation).toMatchObject({ concurrency: SLOTS, atLeastCurrent: true, perProcessConcurrency: 5 });
    expect(payment.cause.recommendation.text).toMatch(/^Keep payment concurrency at least at its current 25 in total/);
  });

  it('GET /runs/:id/diagnosis returns the whole-queue capacity and the start backlog', async () => {
    const server = Fastify({ logger: false });
    await server.register(configPlugin, { config });
    await server.register(questdb, { config });
    await server.register(diagnosisRoute);
    await server.ready();
    try {
      await client.query(`INSERT INTO runs (ts, id, name, status, config, ended_at) VALUES ($1, $2, $2, 'finished', $3, $4)`, [
        new Date(T_MIXED).toISOString(),
        mixed,
        JSON.stringify(RUN_CONFIG),
        new Date(T_MIXED + RUN_MS).toISOString(),
      ]);
      await pollQuery(client, 'SELECT id FROM runs WHERE id = $1', [mixed], (r) => r.length === 1, 20_000);
      const res = await server.inject({ method: 'GET', url: `/api/v1/runs/${mixed}/diagnosis` });
      expect(res.statusCode).toBe(200);
      const body = res.json<{
        queues: { queue: string; capacity: Record<string, unknown>; cause: { evidence: Record<string, unknown> } }[];
      }>();
      const payment = body.queues[0]!;
      expect(payment.queue).toBe('payment');
      expect(payment.capacity).toMatchObject({
        arrivalSource: 'queue',
        backlogAtStart: BACKLOG,
        backlogAtStartAt: new Date(T_MIXED - 1000).toISOString(),
      });
      expect(payment.capacity.backlogAtStartDrainSeconds).toEqual(expect.any(Number));
      expect(payment.cause.evidence).toMatchObject({
        backlogAtStart: BACKLOG,
        backlogAtStartDrainSeconds: payment.capacity.backlogAtStartDrainSeconds,
      });
    } finally {
      await server.close();
    }
  });
});
