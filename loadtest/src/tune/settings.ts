import type { ConcurrencySetting } from '@queuescope/contracts';
import type { CollectorClient } from '../collector-client.js';
import type { QueueSetting } from './plan.js';

/** Each queue's concurrency setting and live workers; a queue the collector cannot report is absent. */
export type Settings = Record<string, ConcurrencySetting | undefined>;

/** `GET /api/v1/queues/:queue/concurrency` of every queue; a failed read leaves that queue out. */
export async function readSettings(collector: CollectorClient, queues: readonly string[]): Promise<Settings> {
  const read = await Promise.all(queues.map((q) => collector.concurrency(q).catch(() => undefined)));
  return Object.fromEntries(queues.map((q, i) => [q, read[i]]));
}

/** What the plan needs of each setting. */
export function planSettings(settings: Settings): Record<string, QueueSetting | undefined> {
  return Object.fromEntries(
    Object.entries(settings).map(([q, s]) => [q, s && { concurrency: s.concurrency, max: s.max, workers: s.workers.length }]),
  );
}

/**
 * Who serves a run, for its config (the diagnosis divides by `workers` and multiplies by
 * `concurrency[queue]`): the live worker processes and each queue's setting when the collector
 * reports them, else the runner's own config (`fallback`).
 */
export function servingConfig(
  settings: Settings,
  fallback: { workers: number; concurrency: Record<string, number> },
): { workers: number; concurrency: Record<string, number> } {
  const live = Math.max(0, ...Object.values(settings).map((s) => s?.workers.length ?? 0));
  return {
    workers: live > 0 ? live : fallback.workers,
    concurrency: Object.fromEntries(Object.entries(fallback.concurrency).map(([q, c]) => [q, settings[q]?.concurrency ?? c])),
  };
}
