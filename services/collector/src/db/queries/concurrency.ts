import { sql, type Kysely } from 'kysely';
import type { ConcurrencyChange } from '@queuescope/contracts';
import type { ConcurrencyChangesTable, Database } from '../database.js';

/** Most changes one read returns (a run with more has a tool in a loop; the first ones tell the story). */
export const MAX_CHANGES = 1000;

/** One change to record: slots per worker process before and after. */
export interface ConcurrencyChangeRow {
  ts: Date;
  namespace: string;
  queue: string;
  from: number;
  to: number;
  actor: string;
  runId: string | null;
  reason: string | null;
}

/**
 * Insert one change over PGWire: resolves once QuestDB committed it to the WAL (durable; visible to
 * reads after WAL apply), rejects when QuestDB refused it or is unreachable.
 */
export async function insertConcurrencyChange(db: Kysely<Database>, row: ConcurrencyChangeRow): Promise<void> {
  await sql`INSERT INTO concurrency_changes (ts, namespace, queue, old_concurrency, new_concurrency, actor, run_id, reason)
    VALUES (${row.ts.toISOString()}, ${row.namespace}, ${row.queue}, ${row.from}, ${row.to}, ${row.actor}, ${row.runId}, ${row.reason})`.execute(
    db,
  );
}

/**
 * Changes of `namespace` tagged with `runId`, or made between `from` and `to` (ISO date-times,
 * inclusive), oldest first, at most {@link MAX_CHANGES}.
 */
export async function concurrencyChangesOfRun(
  db: Kysely<Database>,
  q: { namespace: string; runId: string; from: string; to: string },
): Promise<ConcurrencyChange[]> {
  const { rows } = await sql<ConcurrencyChangesTable>`
    SELECT ts, queue, old_concurrency, new_concurrency, actor, run_id, reason
    FROM concurrency_changes
    WHERE namespace = ${q.namespace} AND (run_id = ${q.runId} OR (ts >= ${q.from} AND ts <= ${q.to}))
    ORDER BY ts
    LIMIT ${MAX_CHANGES}`.execute(db);
  return rows.map((r) => ({
    ts: r.ts.toISOString(),
    queue: r.queue,
    from: r.old_concurrency,
    to: r.new_concurrency,
    actor: r.actor,
    runId: r.run_id,
    reason: r.reason,
  }));
}
