/**
 * DESIGN invariant 1, checked one way for every fault test: the `job_events` rows of a run
 * against BullMQ's own job records (readTruth), never against what the code under test says.
 */
import type { Queue } from 'bullmq';
import type pg from 'pg';
import { expect } from 'vitest';
import { finishedCounts, type Truth } from './bullmq-truth.js';
import { waitFor } from './processes.js';
import { pollQuery } from './questdb.js';

const TERMINALS = new Set(['retried', 'completed', 'failed', 'stalled']);

/**
 * Wait until every job in `queues` is completed or failed (none waiting, active, delayed …) and
 * at least `atLeast` are. getJobCounts is one script, so a job between two lists is never missed.
 */
export async function waitAllFinished(queues: Iterable<Queue>, atLeast: number, timeoutMs = 90_000): Promise<number> {
  const list = [...queues];
  let finished = 0;
  try {
    await waitFor(
      `every job finished in BullMQ (at least ${atLeast})`,
      async () => {
        const states = await Promise.all(list.map(finishedCounts));
        finished = states.reduce((n, s) => n + s.finished, 0);
        return finished >= atLeast && states.every((s) => s.unfinished === 0);
      },
      timeoutMs,
      250,
    );
  } catch (err) {
    const counts = await Promise.all(list.map(async (q) => `${q.name}: ${JSON.stringify(await q.getJobCounts())}`));
    throw new Error(`${err instanceof Error ? err.message : String(err)}; job counts: ${counts.join('; ')}`, { cause: err });
  }
  return finished;
}

interface EventRow {
  queue: string;
  job_id: string;
  event: string;
  attempt: number;
  worker: string | null;
}

export interface ExactlyOnceOptions {
  runId: string;
  truth: Truth;
  /** Job ids a client got a 202 for, per queue: each must be among BullMQ's jobs and have one `added` row. */
  accepted?: Map<string, readonly string[]>;
  /** How long QuestDB may take to show all rows (WAL apply after recovery), ms. */
  timeoutMs?: number;
}

/**
 * Asserts, for run `runId`:
 * 1. counts per (queue, event) in `job_events` equal BullMQ's (`truth.counts`), polled until WAL apply;
 * 2. per job: exactly one `added`; attempts 1..attemptsStarted each with exactly one `active` and
 *    exactly one terminal row (retried | completed | failed | stalled); the last attempt ends in the
 *    job's final state; `stalled` and `retried` rows as many as BullMQ's counters say;
 * 3. no row for a job BullMQ does not have, and every accepted (202) job is one BullMQ has.
 * Returns the rows, for test-specific checks.
 */
export async function expectExactlyOnce(db: pg.Client, opts: ExactlyOnceOptions): Promise<EventRow[]> {
  const { runId, truth } = opts;
  const countsSql = `SELECT queue, event, count() AS n FROM job_events WHERE run_id = $1 GROUP BY queue, event`;
  const asMap = (rows: { queue: string; event: string; n: number }[]): Record<string, number> =>
    Object.fromEntries(rows.map((r) => [`${r.queue}/${r.event}`, Number(r.n)]));
  const sameCounts = (rows: { queue: string; event: string; n: number }[]): boolean => {
    const got = asMap(rows);
    return Object.keys(got).length === Object.keys(truth.counts).length && Object.entries(truth.counts).every(([k, v]) => got[k] === v);
  };
  let counted: { queue: string; event: string; n: number }[];
  try {
    counted = await pollQuery<{ queue: string; event: string; n: number }>(db, countsSql, [runId], sameCounts, opts.timeoutMs ?? 60_000);
  } catch {
    counted = (await db.query<{ queue: string; event: string; n: number }>(countsSql, [runId])).rows;
  }

  const rows = (await db.query<EventRow>(`SELECT queue, job_id, event, attempt, worker FROM job_events WHERE run_id = $1`, [runId])).rows;
  const byJob = new Map<string, EventRow[]>();
  for (const r of rows) {
    const key = `${r.queue}/${r.job_id}`;
    byJob.set(key, [...(byJob.get(key) ?? []), r]);
  }
  const problems: string[] = [];
  const known = new Set<string>();
  for (const { queue, job, state } of truth.all) {
    const key = `${queue}/${job.id}`;
    known.add(key);
    const mine = byJob.get(key) ?? [];
    const added = mine.filter((r) => r.event === 'added');
    if (added.length !== 1 || added[0]!.attempt !== 0)
      problems.push(`${key}: ${added.length} added rows (attempts ${added.map((r) => r.attempt)}), want 1 at attempt 0`);
    const n = job.attemptsStarted;
    for (let attempt = 1; attempt <= n; attempt++) {
      const at = mine.filter((r) => r.attempt === attempt);
      const actives = at.filter((r) => r.event === 'active').length;
      const terminals = at.filter((r) => TERMINALS.has(r.event)).map((r) => r.event);
      if (actives !== 1 || terminals.length !== 1)
        problems.push(`${key} attempt ${attempt}/${n}: ${actives} active, terminals [${terminals}]`);
      else if (attempt === n && terminals[0] !== state)
        problems.push(`${key}: last attempt ${n} ends in ${terminals[0]}, BullMQ says ${state}`);
    }
    const beyond = mine.filter((r) => r.event !== 'added' && (r.attempt < 1 || r.attempt > n));
    if (beyond.length > 0) problems.push(`${key}: rows outside attempts 1..${n}: ${beyond.map((r) => `${r.event}@${r.attempt}`)}`);
    const stalled = mine.filter((r) => r.event === 'stalled').length;
    const retried = mine.filter((r) => r.event === 'retried').length;
    if (stalled !== n - job.attemptsMade)
      problems.push(`${key}: ${stalled} stalled rows, BullMQ attemptsStarted − attemptsMade = ${n - job.attemptsMade}`);
    if (retried !== job.attemptsMade - 1)
      problems.push(`${key}: ${retried} retried rows, BullMQ attemptsMade − 1 = ${job.attemptsMade - 1}`);
  }
  for (const key of byJob.keys()) if (!known.has(key)) problems.push(`${key}: rows for a job BullMQ has no finished record of`);
  for (const [queue, ids] of opts.accepted ?? []) {
    for (const id of ids)
      if (!known.has(`${queue}/${id}`)) problems.push(`${queue}/${id}: accepted with 202 but not among BullMQ's finished jobs`);
  }
  expect(problems.slice(0, 25), `${problems.length} problems`).toEqual([]);
  expect(asMap(counted)).toEqual(truth.counts);
  return rows;
}

/**
 * Wait until QuestDB has applied every WAL transaction of `table` committed so far, so a count
 * read next includes everything written before this call.
 */
export async function waitWalApplied(db: pg.Client, table = 'job_events', timeoutMs = 30_000): Promise<void> {
  const sql = `SELECT writerTxn, sequencerTxn FROM wal_tables() WHERE name = $1`;
  const first = (await db.query<{ writerTxn: number; sequencerTxn: number }>(sql, [table])).rows[0];
  if (!first) throw new Error(`wal_tables() has no ${table}`);
  const target = Number(first.sequencerTxn);
  await pollQuery<{ writerTxn: number }>(db, sql, [table], (r) => Number(r[0]?.writerTxn) >= target, timeoutMs);
}
