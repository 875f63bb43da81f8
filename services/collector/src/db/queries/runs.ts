import { sql, type Kysely } from 'kysely';
import { Compile } from 'typebox/compile';
import { ClientSummarySchema, RunConfigSchema, type ClientSummary, type Run, type RunConfig, type RunHead } from '@queuescope/contracts';
import { NotFoundError } from '@queuescope/service-kit';
import type { Database, RunsTable } from '../database.js';

/** A `runs` row as it comes back over PGWire. */
type RunRow = RunsTable;

const RUN_STATUSES: readonly string[] = ['running', 'finished', 'aborted'];
const checkConfig = Compile(RunConfigSchema);
const checkClientSummary = Compile(ClientSummarySchema);

/**
 * A stored JSON field, or null when it is absent, does not parse or does not match `check`. Rows
 * written before the routes checked these fields (or written straight into QuestDB) may hold
 * anything; one of them must never make a read fail, so it reads as null.
 */
function storedJson<T>(text: string | null, check: { Check(value: unknown): boolean }): T | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    return check.Check(value) ? (value as T) : null;
  } catch {
    return null;
  }
}

/** The columns every view of a run shows; a hostile `status` reads as `aborted` rather than breaking the enum. */
function toRunHead(row: Pick<RunRow, 'ts' | 'id' | 'name' | 'scenario' | 'engine' | 'status' | 'ended_at'>): RunHead {
  return {
    id: row.id,
    name: row.name ?? '',
    scenario: row.scenario,
    engine: row.engine,
    status: (RUN_STATUSES.includes(row.status) ? row.status : 'aborted') as Run['status'],
    startedAt: row.ts.toISOString(),
    endedAt: row.ended_at ? row.ended_at.toISOString() : null,
  };
}

function toRun(row: RunRow): Run {
  return {
    ...toRunHead(row),
    config: storedJson<RunConfig>(row.config, checkConfig),
    clientSummary: storedJson<ClientSummary>(row.client_summary, checkClientSummary),
  };
}

/** Write (or, with the same id and start, replace) one run row. Visible to reads after WAL apply. */
export async function writeRun(db: Kysely<Database>, run: Run): Promise<void> {
  await sql`INSERT INTO runs (ts, id, name, scenario, engine, status, config, ended_at, client_summary)
    VALUES (${run.startedAt}, ${run.id}, ${run.name}, ${run.scenario}, ${run.engine},
            ${run.status}, ${run.config ? JSON.stringify(run.config) : null}, ${run.endedAt}, ${run.clientSummary ? JSON.stringify(run.clientSummary) : null})`.execute(
    db,
  );
}

/** One run by id, or undefined. */
export async function getRun(db: Kysely<Database>, id: string): Promise<Run | undefined> {
  const { rows } =
    await sql<RunRow>`SELECT ts, id, name, scenario, engine, status, config, ended_at, client_summary FROM runs WHERE id = ${id} LIMIT 1`.execute(
      db,
    );
  return rows[0] ? toRun(rows[0]) : undefined;
}

/**
 * One run by id, or a NotFoundError (404 `run '<id>' not found`) for the one error handler to answer.
 * `param` names the query parameter that carried the id, as a message prefix: `a: run '<id>' not found`.
 */
export async function requireRun(db: Kysely<Database>, id: string, param?: string): Promise<Run> {
  const run = await getRun(db, id);
  if (!run) throw new NotFoundError(`${param ? `${param}: ` : ''}run '${id}'`);
  return run;
}

/**
 * Runs newest first, without their stored JSON (config, client summary: `getRun` has those), so a
 * page of 500 runs stays small; `offset`/`limit` page through them (QuestDB's `LIMIT lo, hi`).
 */
export async function listRuns(db: Kysely<Database>, page: { limit: number; offset: number }): Promise<{ runs: RunHead[]; total: number }> {
  const lo = page.offset;
  const hi = page.offset + page.limit;
  const [{ rows }, count] = await Promise.all([
    sql<RunRow>`SELECT ts, id, name, scenario, engine, status, ended_at FROM runs ORDER BY ts DESC LIMIT ${lo}, ${hi}`.execute(db),
    sql<{ n: number }>`SELECT count() AS n FROM runs`.execute(db),
  ]);
  return { runs: rows.map(toRunHead), total: count.rows[0]?.n ?? 0 };
}

/**
 * Poll until `check(run)` holds for the stored run, so the API can read its own writes: QuestDB
 * makes a WAL commit visible only once it is applied (usually well under a second).
 */
export async function waitForRun(
  db: Kysely<Database>,
  id: string,
  check: (run: Run) => boolean,
  timeoutMs = 10_000,
): Promise<Run | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(db, id);
    if (run && check(run)) return run;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 25));
  }
}
