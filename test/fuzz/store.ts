import { QUEUE_NAMES, concurrencyKeys, ingestStream, queueKeys, type Config } from '@queuescope/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { questdbClient } from '../support/questdb.js';

/**
 * What a fuzz file's requests could have stored, counted: QuestDB rows of its runs (its run-id
 * prefix, or its marker in a run's name), Redis's ingest stream, BullMQ's jobs and events streams
 * of its namespace, and its queues' run-time concurrency (the setting keys and the recorded
 * changes). Equal snapshots before and after a batch: nothing was stored.
 */
export interface StoreSnapshot {
  runs: number;
  jobEvents: number;
  loadMetrics: number;
  /** `concurrency_changes` rows of the namespace. */
  concurrencyChanges: number;
  ingestStreamLength: number;
  /** Per queue: BullMQ job counts by state, its events stream's length, and its concurrency setting (null: none). */
  queues: Record<string, { jobs: Record<string, number>; eventsStreamLength: number; concurrencySetting: string | null }>;
}

export interface StoreProbe {
  snapshot(): Promise<StoreSnapshot>;
  close(): Promise<void>;
}

/** A probe for `config`'s namespace, counting rows whose run id starts with `runIdPrefix` or whose run name holds `marker`. */
export async function storeProbe(config: Config, runIdPrefix: string, marker: string): Promise<StoreProbe> {
  const db: pg.Client = await questdbClient(config);
  const redis = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const queues = QUEUE_NAMES.map(
    (name) => new Queue(name, { connection: redis, prefix: queueKeys(config.namespace, name).bullPrefix, skipMetasUpdate: true }),
  );
  const like = `${runIdPrefix}%`;
  const count = async (sql: string, params: unknown[]): Promise<number> => (await db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0;
  return {
    async snapshot() {
      // One pg client runs one query at a time.
      const runs = await count(`SELECT count() AS n FROM runs WHERE id LIKE $1 OR name LIKE $2`, [like, `%${marker}%`]);
      const jobEvents = await count(`SELECT count() AS n FROM job_events WHERE run_id LIKE $1`, [like]);
      const loadMetrics = await count(`SELECT count() AS n FROM load_metrics WHERE run_id LIKE $1`, [like]);
      // The producer's fuzz may run before any collector made this table (a fresh QuestDB): no table, no rows.
      const concurrencyChanges = await count(`SELECT count() AS n FROM concurrency_changes WHERE namespace = $1`, [config.namespace]).catch(
        (err: unknown) => {
          if (err instanceof Error && /does not exist/.test(err.message)) return 0;
          throw err;
        },
      );
      const ingestStreamLength = await redis.xlen(ingestStream(config.namespace));
      const perQueue: StoreSnapshot['queues'] = {};
      for (const [i, name] of QUEUE_NAMES.entries()) {
        const queue = queues[i]!;
        perQueue[name] = {
          jobs: await queue.getJobCounts(),
          eventsStreamLength: await redis.xlen(queueKeys(config.namespace, name).events),
          concurrencySetting: await redis.get(concurrencyKeys(config.namespace, name).setting),
        };
      }
      return { runs, jobEvents, loadMetrics, concurrencyChanges, ingestStreamLength, queues: perQueue };
    },
    async close() {
      for (const q of queues) await q.close().catch(() => undefined);
      await redis.quit().catch(() => redis.disconnect());
      await db.end().catch(() => undefined);
    },
  };
}
