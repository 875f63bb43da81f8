import type { LoadSecond, LoadTotals } from '@queuescope/contracts';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../database.js';
import { IlpClient, IlpLines } from '../ilp.js';

/**
 * Store `seconds` of one run as ONE QuestDB transaction (one flush of one table). Re-posting the
 * same seconds replaces them (dedup keys ts, run_id, source).
 */
export async function writeLoadMetrics(ilpConf: string, runId: string, source: string, seconds: readonly LoadSecond[]): Promise<void> {
  const lines = new IlpLines();
  for (const s of seconds) {
    lines
      .row('load_metrics')
      .symbol('run_id', runId)
      .symbol('source', source)
      .int('vus', s.vus)
      .int('requests', s.requests)
      .int('accepted', s.accepted)
      .int('errors', s.errors)
      .int('timeouts', s.timeouts)
      .int('status_4xx', s.status4xx)
      .int('status_5xx', s.status5xx)
      .float('p50_ms', s.p50Ms ?? undefined)
      .float('p95_ms', s.p95Ms ?? undefined)
      .float('p99_ms', s.p99Ms ?? undefined)
      .float('max_ms', s.maxMs ?? undefined)
      .at(Math.floor(s.ts / 1000) * 1_000_000);
  }
  const client = IlpClient.fromConf(ilpConf);
  try {
    await client.send(lines);
  } finally {
    client.close();
  }
}

/** Client-side totals of a run from `load_metrics` (see LoadTotals in contracts). */
export async function loadTotals(db: Kysely<Database>, runId: string, window: { from: string; to: string }): Promise<LoadTotals[]> {
  const { rows } = await sql<
    LoadTotals & { req_per_sec: number | null; peak_vus: number; worst_p95: number | null; worst_p99: number | null }
  >`
    SELECT source, count() AS seconds, sum(requests) AS requests, sum(accepted) AS accepted, sum(errors) AS errors,
           sum(timeouts) AS timeouts, max(vus) AS peak_vus, sum(requests) / cast(count() AS double) AS req_per_sec,
           max(p95_ms) AS worst_p95, max(p99_ms) AS worst_p99
    FROM load_metrics
    WHERE run_id = ${runId} AND ts >= ${window.from} AND ts <= ${window.to}
    GROUP BY source`.execute(db);
  return rows.map((r) => ({
    source: r.source,
    seconds: r.seconds,
    requests: r.requests,
    accepted: r.accepted,
    errors: r.errors,
    timeouts: r.timeouts,
    peakVus: r.peak_vus,
    reqPerSec: r.req_per_sec,
    worstSecondP95Ms: r.worst_p95,
    worstSecondP99Ms: r.worst_p99,
  }));
}
