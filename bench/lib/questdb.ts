/**
 * What the benchmarks ask QuestDB: waiting until a run's rows have landed, and checking the
 * capture invariants on them (DESIGN invariants: one `added` row per accepted job, one `active`
 * and one terminal row per attempt, one final row per job, nothing trimmed before it was read).
 */
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

export { questdbClient } from '../../test/support/questdb.js';

const num = (v: unknown): number => Number(v ?? 0);

export interface RunCounts {
  rows: number;
  added: number;
  /** `completed` + `failed` rows: jobs that are over. */
  finished: number;
}

export async function runCounts(db: pg.Client, runId: string): Promise<RunCounts> {
  const { rows } = await db.query(
    `SELECT count() AS n_rows,
            sum(CASE WHEN event = 'added' THEN 1 ELSE 0 END) AS added,
            sum(CASE WHEN event IN ('completed', 'failed') THEN 1 ELSE 0 END) AS finished
       FROM job_events WHERE run_id = $1`,
    [runId],
  );
  return { rows: num(rows[0]?.n_rows), added: num(rows[0]?.added), finished: num(rows[0]?.finished) };
}

/**
 * Wait until at least `jobs` jobs were added and every added job finished, and the row count
 * held still across one more poll (a job's rows span several commits). Resolves with the last
 * counts and whether that happened before `timeoutMs`.
 */
export async function waitForRunRows(
  db: pg.Client,
  runId: string,
  jobs: number,
  opts: { timeoutMs?: number; everyMs?: number; progress?: (c: RunCounts) => void } = {},
): Promise<{ counts: RunCounts; settled: boolean }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  let previous = -1;
  for (;;) {
    const counts = await runCounts(db, runId);
    opts.progress?.(counts);
    const complete = counts.added >= jobs && counts.finished >= counts.added;
    if (complete && counts.rows === previous) return { counts, settled: true };
    if (Date.now() > deadline) return { counts, settled: false };
    previous = complete ? counts.rows : -1;
    await sleep(opts.everyMs ?? 1000);
  }
}

export interface RunCheck {
  /** Jobs the run should have: accepted requests, or BullMQ's own count. */
  expected: number;
  /** What `expected` counts, for the report. */
  expectedWhat: string;
  addedRows: number;
  jobs: number;
  /** Jobs with no `added` row or more than one. */
  jobsWithoutOneAdded: number;
  /** Of those, jobs with two or more `added` rows. */
  jobsWithDuplicateAdded: number;
  /** Jobs without exactly one `completed` or `failed` row. */
  jobsWithoutOneFinal: number;
  /** (job, attempt) pairs without exactly one `active` and one terminal row. */
  brokenAttempts: number;
  /** Stream entries BullMQ trimmed before the collector read them (capture_gaps of the namespace). */
  lostEntries: number;
  ok: boolean;
  /** A few of the broken attempts, for the report. */
  examples: { queue: string; job_id: string; attempt: number; a: number; t: number }[];
}

export async function checkRun(
  db: pg.Client,
  runId: string,
  expected: { jobs: number; what: string },
  namespace: string,
): Promise<RunCheck> {
  const jobs = (
    await db.query(
      `SELECT count() AS jobs,
              sum(CASE WHEN a = 1 THEN 0 ELSE 1 END) AS not_one_added,
              sum(CASE WHEN a > 1 THEN 1 ELSE 0 END) AS duplicate_added,
              sum(CASE WHEN f = 1 THEN 0 ELSE 1 END) AS not_one_final,
              sum(a) AS added
         FROM (SELECT queue, job_id,
                      sum(CASE WHEN event = 'added' THEN 1 ELSE 0 END) AS a,
                      sum(CASE WHEN event IN ('completed', 'failed') THEN 1 ELSE 0 END) AS f
                 FROM job_events WHERE run_id = $1 GROUP BY queue, job_id)`,
      [runId],
    )
  ).rows[0];
  const broken = await brokenAttempts(db, runId);
  const gaps = (await db.query(`SELECT sum(lost) AS lost FROM capture_gaps WHERE stream LIKE $1`, [`{${namespace}:%`])).rows[0];
  const check = {
    expected: expected.jobs,
    expectedWhat: expected.what,
    addedRows: num(jobs?.added),
    jobs: num(jobs?.jobs),
    jobsWithoutOneAdded: num(jobs?.not_one_added),
    jobsWithDuplicateAdded: num(jobs?.duplicate_added),
    jobsWithoutOneFinal: num(jobs?.not_one_final),
    brokenAttempts: broken.length,
    lostEntries: num(gaps?.lost),
  };
  const ok =
    check.addedRows === expected.jobs &&
    check.jobsWithoutOneAdded === 0 &&
    check.jobsWithoutOneFinal === 0 &&
    check.brokenAttempts === 0 &&
    check.lostEntries === 0;
  return { ...check, ok, examples: broken.slice(0, 3) };
}

/** (queue, job, attempt) without exactly one `active` and one terminal row: `a` active rows, `t` terminal ones. */
async function brokenAttempts(
  db: pg.Client,
  runId: string,
): Promise<{ queue: string; job_id: string; attempt: number; a: number; t: number }[]> {
  const { rows } = await db.query(
    `SELECT * FROM (SELECT queue, job_id, attempt,
                           sum(CASE WHEN event = 'active' THEN 1 ELSE 0 END) AS a,
                           sum(CASE WHEN event IN ('retried', 'completed', 'failed', 'stalled') THEN 1 ELSE 0 END) AS t
                      FROM job_events WHERE run_id = $1 AND event != 'added' GROUP BY queue, job_id, attempt)
      WHERE a != 1 OR t != 1`,
    [runId],
  );
  return rows as { queue: string; job_id: string; attempt: number; a: number; t: number }[];
}

/** Every row of one job, oldest first, for a failure message. */
export async function jobRows(db: pg.Client, runId: string, queue: string, jobId: string): Promise<string> {
  const { rows } = await db.query(
    `SELECT cast(ts AS LONG) AS us, event, attempt, worker FROM job_events WHERE run_id = $1 AND queue = $2 AND job_id = $3 ORDER BY ts`,
    [runId, queue, jobId],
  );
  return rows.map((r) => `${r.event}#${r.attempt}@${r.us}`).join(' ');
}

export function formatCheck(c: RunCheck, unanswered = 0): string {
  const extra = c.addedRows - c.expected;
  const note = extra > 0 && extra <= unanswered ? ` (the ${extra} extra may be requests that timed out after adding their job)` : '';
  return (
    `${c.ok ? 'ok' : 'FAILED'}: ${c.addedRows} added rows for ${c.expected} ${c.expectedWhat}${note}; ` +
    `${c.jobsWithoutOneAdded} jobs without exactly one added row (${c.jobsWithDuplicateAdded} with 2+), ` +
    `${c.jobsWithoutOneFinal} without exactly one completed/failed row, ` +
    `${c.brokenAttempts} attempts without exactly one active and one terminal row, ${c.lostEntries} stream entries lost`
  );
}

/**
 * Wait for a run's rows to land, then check them. A failed check prints a few broken jobs' rows
 * and is repeated once after `recheckMs`, which tells rows that land late from rows that never
 * come; the recheck is the verdict. Prints through `log`, resolves with the verdict.
 */
export async function verifyRun(
  db: pg.Client,
  run: { runId: string; namespace: string; expected: { jobs: number; what: string }; unanswered: number },
  log: (line: string) => void,
  opts: { timeoutMs?: number; recheckMs?: number } = {},
): Promise<RunCheck> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const landed = await waitForRunRows(db, run.runId, run.expected.jobs, { timeoutMs });
  if (!landed.settled) log(`rows did not settle within ${timeoutMs / 1000} s: ${JSON.stringify(landed.counts)}`);
  const first = await checkRun(db, run.runId, run.expected, run.namespace);
  log(`run ${run.runId}: ${formatCheck(first, run.unanswered)}`);
  if (first.ok) return first;
  for (const e of first.examples)
    log(
      `  ${e.queue} ${e.job_id} attempt ${e.attempt} (${e.a} active, ${e.t} terminal): ${await jobRows(db, run.runId, e.queue, e.job_id)}`,
    );
  await sleep(opts.recheckMs ?? 5000);
  const again = await checkRun(db, run.runId, run.expected, run.namespace);
  log(`recheck ${(opts.recheckMs ?? 5000) / 1000} s later: ${formatCheck(again, run.unanswered)}`);
  return again;
}
