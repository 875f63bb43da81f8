/**
 * Known `job_events` rows written straight into the real QuestDB, so the analytics are tested on
 * real SQL results (approx_percentile, count_distinct, LATEST ON …) of data whose truth we know.
 */
import type { Config, Run } from '@queuescope/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from '../../src/db/database.js';
import questdb from '../../src/plugins/questdb.js';
import { pollQuery, waitForViews } from '../../../../test/support/questdb.js';

/** The collector's own kysely instance (same type parsers), without Redis or ingest. */
export async function openDb(config: Config): Promise<{ db: Kysely<Database>; app: FastifyInstance }> {
  const app = Fastify({ logger: false });
  await app.register(questdb, { config });
  await app.ready();
  return { db: app.db, app };
}

/**
 * n jobs of one queue, job x = 1..n: `added` at start + x·step, first attempt `active` after
 * `wait` ms, then a terminal row after `run` ms. Expressions are SQL over `x` written by the test.
 */
export interface JobSeries {
  queue: string;
  n: number;
  /** epoch ms of job 0 */
  startMs: number;
  /** ms between two `added` */
  stepMs: number;
  /** SQL expression of wait_ms (first attempt) */
  wait: string;
  /** SQL expression of run_ms (every attempt) */
  run: string;
  /** jobs x ≤ retried get a `retried` first attempt (with `retryError`) and a second attempt */
  retried?: number;
  /** SQL expression of the retried attempts' `error` */
  retryError?: string;
  /** jobs x ≤ failed end `failed` (with `failError`) instead of `completed` */
  failed?: number;
  /** SQL expression of the failed jobs' `error` */
  failError?: string;
  /** SQL expression of the `worker` column of `active` rows */
  worker?: string;
}

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Insert a {@link JobSeries} (5 INSERT … SELECT statements at most); returns how many rows it wrote. */
export async function insertJobs(client: pg.Client, runId: string, s: JobSeries): Promise<number> {
  const us = (ms: string): string => `cast(${s.startMs * 1000} + cast((x * ${s.stepMs} + ${ms}) * 1000 AS long) AS timestamp)`;
  const retried = s.retried ?? 0;
  const failed = s.failed ?? 0;
  // Second attempts start right after the retried first one; their run is as long as the first.
  const secondShift = `CASE WHEN x <= ${retried} THEN ${s.run} ELSE 0 END`;
  const cols = 'ts, run_id, queue, event, job_id, job_name, attempt, worker, wait_ms, run_ms, latency_ms, error';
  const head = `INSERT INTO job_events (${cols}) SELECT`;
  const common = `${lit(runId)}, ${lit(s.queue)}`;
  // Job ids are unique per run: the dedup keys (ts, queue, job_id, event, attempt) do not include run_id.
  const job = `${lit(`${runId}/${s.queue}`)} || '-' || x`;
  const worker = s.worker ?? `'w1'`;
  const statements = [
    `${head} ${us('0')}, ${common}, 'added', ${job}, 'j', 0, 'producer', NULL, NULL, NULL, NULL FROM long_sequence(${s.n})`,
    `${head} ${us(s.wait)}, ${common}, 'active', ${job}, 'j', 1, ${worker}, ${s.wait}, NULL, NULL, NULL FROM long_sequence(${s.n})`,
  ];
  let rows = 3 * s.n;
  if (retried > 0) {
    statements.push(
      `${head} ${us(`${s.wait} + ${s.run}`)}, ${common}, 'retried', ${job}, 'j', 1, ${worker}, NULL, ${s.run}, NULL, ${s.retryError ?? `'retry'`} FROM long_sequence(${retried})`,
      `${head} ${us(`${s.wait} + ${s.run} + 0.5`)}, ${common}, 'active', ${job}, 'j', 2, ${worker}, NULL, NULL, NULL, NULL FROM long_sequence(${retried})`,
    );
    rows += 2 * retried;
  }
  const end = `${s.wait} + ${s.run} + ${secondShift}`;
  const terminal = `CASE WHEN x <= ${failed} THEN 'failed' ELSE 'completed' END`;
  const error = failed > 0 ? `CASE WHEN x <= ${failed} THEN ${s.failError ?? `'failed'`} ELSE NULL END` : 'NULL';
  statements.push(
    `${head} ${us(end)}, ${common}, ${terminal}, ${job}, 'j', CASE WHEN x <= ${retried} THEN 2 ELSE 1 END, ${worker}, NULL, ${s.run}, ${end}, ${error} FROM long_sequence(${s.n})`,
  );
  for (const sql of statements) await client.query(sql);
  return rows;
}

/** Poll until the run holds `rows` rows (WAL applied) and the per-second views the analytics read have them too. */
export async function waitForRows(client: pg.Client, runId: string, rows: number): Promise<void> {
  await pollQuery<{ n: number }>(client, 'SELECT count() AS n FROM job_events WHERE run_id = $1', [runId], (r) => r[0]?.n === rows, 20_000);
  await waitForViews(client);
}

/** A run object as the API would hold it; the analytics read only its id, times and config. */
export function runOf(id: string, startMs: number, endMs: number, config: Record<string, unknown> = {}): Run {
  return {
    id,
    name: id,
    scenario: null,
    engine: null,
    status: 'finished',
    config,
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(endMs).toISOString(),
  } as Run;
}
