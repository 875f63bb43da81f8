import type { CollectorClient } from '../collector-client.js';
import { describeChange, type ApplyPlan } from './plan.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Longest `reason` the concurrency API stores, characters. */
const MAX_REASON = 512;

/** How long the workers get to report a new setting, ms (they refresh their report every few seconds). */
export const APPLY_TIMEOUT_MS = 30_000;

/**
 * PUT each change (actor `tune`, tagged with the diagnosed run, the plan's reason), then wait until
 * every live worker process of each queue reports the new value. Throws when a worker does not
 * apply it in time: the next run would measure the old setting.
 */
export async function applyChanges(
  collector: CollectorClient,
  changes: readonly ApplyPlan[],
  runId: string,
  log: (line: string) => void,
  timeoutMs = APPLY_TIMEOUT_MS,
): Promise<void> {
  for (const c of changes) {
    const reason = `loadtest --tune after run ${runId}: ${c.reason}`;
    await collector.setConcurrency(c.queue, {
      concurrency: c.to,
      actor: 'tune',
      runId,
      reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
    });
    log(`set ${describeChange(c)}`);
  }
  for (const c of changes) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await collector.concurrency(c.queue);
      const behind = s.workers.filter((w) => w.concurrency !== c.to);
      if (s.workers.length > 0 && behind.length === 0) {
        log(
          `${c.queue}: ${s.workers.length} worker process${s.workers.length === 1 ? '' : 'es'} now run ${c.to} slots each (${s.workers.map((w) => w.id).join(', ')}), without a restart`,
        );
        break;
      }
      if (Date.now() > deadline) {
        const still = behind.map((w) => `${w.id} at ${w.concurrency}`).join(', ') || 'no live worker reports the queue';
        throw new Error(`${c.queue}: the workers did not apply ${c.to} slots within ${timeoutMs / 1000} s (${still})`);
      }
      await sleep(500);
    }
  }
}

/**
 * Until the collector's queue-depth samples (`GET /api/v1/timeseries?metric=depth`, SQL over
 * `queue_depth`) show no job waiting in any of `queues`, in a sample taken after `since`. Returns
 * the queues still waiting when `timeoutMs` passes or `signal` aborts (empty when all drained).
 */
export async function waitDrained(
  collector: CollectorClient,
  queues: readonly string[],
  since: Date,
  log: (line: string) => void,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const sinceSecond = Math.floor(since.getTime() / 1000) * 1000;
  let last = '';
  for (;;) {
    const now = Date.now();
    const depth = await collector.timeseries('depth', new Date(sinceSecond - 1000), new Date(now + 1000));
    const waiting = queues.map((q) => {
      const values = depth.series[`${q}.waiting`] ?? [];
      for (let i = values.length - 1; i >= 0; i--) {
        const v = values[i];
        if (v !== null && v !== undefined && depth.ts[i]! >= sinceSecond) return { queue: q, waiting: v };
      }
      return { queue: q, waiting: null };
    });
    const left = waiting.filter((w) => w.waiting !== 0);
    if (left.length === 0) return [];
    const line = `waiting for the backlog to drain: ${left.map((w) => `${w.queue} ${w.waiting ?? 'not sampled yet'}`).join(', ')}`;
    if (line !== last) log(line);
    last = line;
    if (now > deadline || signal?.aborted) return left.map((w) => w.queue);
    await sleep(1000);
  }
}
