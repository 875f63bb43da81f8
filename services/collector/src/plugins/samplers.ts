import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { IlpClient } from '../db/ilp.js';
import { everySecond, type Ticker } from '../samplers/every-second.js';
import { QueueDepthSampler } from '../samplers/queue-depth.js';
import { redisAddress } from '../samplers/redis-info.js';
import { closeRedis, duplicateRedis } from '@queuescope/service-kit';
import { sampleSecond, type SecondSources } from '../samplers/sample-second.js';

/** In a streak of failed or skipped ticks, warn on the first one and then on every this many. */
const WARN_EVERY_TICKS = 60;
/** Skipped seconds in a row before a warning: one slow tick is normal, a stuck flush is not. */
const WARN_AFTER_SKIPS = 5;
/** Longest close waits for the tick in flight (a write gives up after the ILP request timeout), ms. */
const CLOSE_WAIT_MS = 5000;

/**
 * Wiring of the per-second samplers (samplers/): every wall-clock second (everySecond), the BullMQ
 * job counts of each queue of this namespace (`queue_depth`, one row per queue) and Redis INFO plus
 * a measured PING (`redis_stats`, one row; on a Cluster one per master plus their sum), stamped with that second (µs, truncated) and written by
 * one ILP client owned here, one flush per tick (sampleSecond, STYLE R10). Both tables dedup on
 * their keys, so the one transaction holding two tables is harmless: a re-flushed second replaces
 * itself. A failed tick logs a warning (throttled here) and the next second tries again.
 *
 * Depends on `questdb` because that plugin creates the tables (ILP-created tables have no dedup):
 * ticking starts once they exist.
 * INFO and PING go over the shared `app.redis`; BullMQ's queues get their own duplicate connection.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const log = app.log.child({ component: 'samplers' });

    const questdb = IlpClient.fromConf(config.questdb.ilpConf);
    const connection = duplicateRedis(app.redis);
    connection.on('error', (err: Error) => log.warn({ err: err.message }, 'sampler redis error'));
    const depth = new QueueDepthSampler(connection, config.namespace, (err, queue) =>
      log.warn({ err: err.message, queue }, 'sampler queue error'),
    );
    const sources: SecondSources = {
      depth,
      depthConnection: connection,
      namespace: config.namespace,
      redis: app.redis,
      address: redisAddress(config.redisUrl),
      questdb,
    };

    let failedTicks = 0;
    let skippedTicks = 0;
    const skip = (second: number): void => {
      skippedTicks += 1;
      const stuck = skippedTicks === WARN_AFTER_SKIPS || skippedTicks % WARN_EVERY_TICKS === 0;
      log[stuck ? 'warn' : 'debug']({ second, skippedTicks }, 'sampler tick skipped: previous still running');
    };
    const tick = async (second: number): Promise<void> => {
      if (skippedTicks >= WARN_AFTER_SKIPS) log.info({ skippedTicks }, 'sampler ticking again');
      skippedTicks = 0;
      const problems = await sampleSecond(sources, second);
      if (problems.length > 0) {
        failedTicks += 1;
        if (failedTicks === 1 || failedTicks % WARN_EVERY_TICKS === 0) log.warn({ problems, failedTicks, second }, 'sampler tick failed');
      } else if (failedTicks > 0) {
        log.info({ failedTicks }, 'sampler recovered');
        failedTicks = 0;
      }
    };

    const loop: { ticker?: Ticker; closed?: boolean } = {};
    app.addHook('onClose', async () => {
      loop.closed = true;
      // Order: no new tick, the tick in flight finishes (its flush included), then the resources go.
      if (loop.ticker && !(await loop.ticker.stop(CLOSE_WAIT_MS)))
        log.warn({ waitedMs: CLOSE_WAIT_MS }, 'sampler tick still in flight at close; its second is dropped');
      await depth.close().catch((err: unknown) => log.error({ err }, 'closing sampler queues failed'));
      questdb.close();
      await closeRedis(connection);
    });

    // Like the ingest loops, start once Redis answers (the offline queue holds this until then),
    // and once QuestDB has the tables (ILP never creates them: each tick would be refused).
    await connection.ping();
    void app.questdb.whenMigrated.then(() => {
      if (!loop.closed) loop.ticker = everySecond(tick, skip);
    });
  },
  { name: 'samplers', dependencies: ['config', 'redis', 'questdb'] },
);
