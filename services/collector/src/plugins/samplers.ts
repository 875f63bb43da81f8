import { withTimeout, withTimeoutOr } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { IlpClient, IlpLines } from '../db/ilp.js';
import { QueueDepthSampler, bufferQueueDepth } from '../samplers/queue-depth.js';
import { bufferRedisStats, redisAddress, sampleRedis } from '../samplers/redis-info.js';

/** Longest the Redis reads of one tick may take; a slower read fails that tick only, ms. */
const SAMPLE_TIMEOUT_MS = 2000;
/** In a streak of failed or skipped ticks, warn on the first one and then on every this many. */
const WARN_EVERY_TICKS = 60;
/** Skipped seconds in a row before a warning: one slow tick is normal, a stuck flush is not. */
const WARN_AFTER_SKIPS = 5;
/** Longest close waits for the tick in flight (a write gives up after the ILP request timeout), ms. */
const CLOSE_WAIT_MS = 5000;

interface Ticker {
  /** Stop scheduling and wait up to `waitMs` for the tick in flight; false if it is still running. Idempotent. */
  stop(waitMs: number): Promise<boolean>;
}

/**
 * Calls `tick(second)` at every wall-clock second (`second` in epoch s). Ticks never overlap: when
 * the previous tick still runs at the next second, that second is skipped (`onSkip`), so a slow
 * QuestDB or Redis cannot pile up work. `tick` must not reject.
 */
function everySecond(tick: (second: number) => Promise<void>, onSkip: (second: number) => void): Ticker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (from: number): void => {
    const due = (Math.floor(from / 1000) + 1) * 1000;
    timer = setTimeout(() => fire(due), due - Date.now());
  };
  const fire = (due: number): void => {
    if (stopped) return;
    // A timer may fire a millisecond early, or seconds late after a blocked event loop.
    const now = Math.max(Date.now(), due);
    schedule(now);
    const second = Math.floor(now / 1000);
    if (running) return onSkip(second);
    running = tick(second).finally(() => {
      running = undefined;
    });
  };
  schedule(Date.now());
  return {
    async stop(waitMs) {
      stopped = true;
      clearTimeout(timer);
      if (!running) return true;
      return withTimeoutOr(
        running.then(() => true),
        waitMs,
        false,
      );
    },
  };
}

/** `read()`, failing fast when `connection` is not up and failing after SAMPLE_TIMEOUT_MS, naming `what`. */
async function bounded<T>(what: string, connection: Redis, read: () => Promise<T>): Promise<T> {
  // Commands sent while Redis is away wait in the offline queue; do not add one per second.
  if (connection.status !== 'ready') throw new Error(`${what}: redis connection is ${connection.status}`);
  try {
    return await withTimeout(read(), SAMPLE_TIMEOUT_MS);
  } catch (err) {
    throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Per-second samplers: every wall-clock second, the BullMQ job counts of each queue of this
 * namespace (`queue_depth`, one row per queue) and Redis INFO plus a measured PING (`redis_stats`,
 * one row), stamped with that second (µs, truncated) and written by one ILP client owned here, one
 * flush per tick (STYLE R10). Both tables dedup on their keys, so the one transaction holding two
 * tables is harmless: a re-flushed second replaces itself. A failed tick logs a warning and the
 * next second tries again.
 *
 * Depends on `questdb` because that plugin creates the tables (ILP-created tables have no dedup).
 * INFO and PING go over the shared `app.redis`; BullMQ's queues get their own duplicate connection.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const log = app.log.child({ component: 'samplers' });
    const address = redisAddress(config.redisUrl);

    const questdb = IlpClient.fromConf(config.questdb.ilpConf);
    const connection = app.redis.duplicate();
    connection.on('error', (err) => log.warn({ err: err.message }, 'sampler redis error'));
    const depth = new QueueDepthSampler(connection, config.namespace, (err, queue) =>
      log.warn({ err: err.message, queue }, 'sampler queue error'),
    );

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
      const ts = second * 1_000_000;
      const [depths, stats] = await Promise.allSettled([
        bounded('queue depth', connection, () => depth.sample()),
        bounded('redis info', app.redis, () => sampleRedis(app.redis)),
      ]);
      const problems = [depths, stats].flatMap((r) =>
        r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
      );
      try {
        const lines = new IlpLines();
        if (depths.status === 'fulfilled') bufferQueueDepth(lines, ts, config.namespace, depths.value);
        if (stats.status === 'fulfilled') bufferRedisStats(lines, ts, address, stats.value);
        await questdb.send(lines);
      } catch (err) {
        problems.push(`questdb: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (problems.length > 0) {
        failedTicks += 1;
        if (failedTicks === 1 || failedTicks % WARN_EVERY_TICKS === 0) log.warn({ problems, failedTicks, second }, 'sampler tick failed');
      } else if (failedTicks > 0) {
        log.info({ failedTicks }, 'sampler recovered');
        failedTicks = 0;
      }
    };

    const loop: { ticker?: Ticker } = {};
    app.addHook('onClose', async () => {
      // Order: no new tick, the tick in flight finishes (its flush included), then the resources go.
      if (loop.ticker && !(await loop.ticker.stop(CLOSE_WAIT_MS)))
        log.warn({ waitedMs: CLOSE_WAIT_MS }, 'sampler tick still in flight at close; its second is dropped');
      await depth.close().catch((err: unknown) => log.error({ err }, 'closing sampler queues failed'));
      questdb.close();
      await connection.quit().catch(() => connection.disconnect());
    });

    // Like the ingest loops, start once Redis answers (the offline queue holds this until then).
    await connection.ping();
    loop.ticker = everySecond(tick, skip);
  },
  { name: 'samplers', dependencies: ['config', 'redis', 'questdb'] },
);
