import { hostname } from 'node:os';
import type { Config } from '@queuescope/contracts';
import { closeRedis, duplicateRedis } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CaptureLoop } from '../capture/capture-loop.js';
import { discoverSources, fixedSources } from '../capture/discovery.js';
import { QuestdbWriter } from '../capture/questdb-writer.js';
import { withCaptureScripts } from '../capture/scripts.js';
import { StreamSource, type SourceSpec } from '../capture/stream-source.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The capture: every events stream this collector may read, and the loop that stores them. */
    capture: { sources: () => readonly StreamSource[]; loop: CaptureLoop };
  }
}

/** How often `prefix:*` targets of COLLECTOR_ATTACH are scanned for new queues, ms. */
const DISCOVER_EVERY_MS = 5000;

/**
 * Starts the capture: one loop over BullMQ's events streams (ours, and those of COLLECTOR_ATTACH)
 * plus the ingest stream of `POST /api/v1/events`, with its own Redis connection and one QuestDB writer.
 * The loop starts once QuestDB's schema is migrated (plugins/questdb.ts): before that a write
 * would be refused (no table) and dead-lettered, so the events wait in the streams instead.
 * On close: finish the round in hand (write, then ack), release the streams, close the writer.
 */
export default fp(
  async (app: FastifyInstance, opts: { config: Config; consumerName?: string }) => {
    const { config } = opts;
    const consumer = opts.consumerName ?? `${hostname()}:${process.pid}`;
    const redis = withCaptureScripts(duplicateRedis(app.redis));
    redis.on('error', (err: Error) => app.log.warn({ err: err.message }, 'capture redis error'));
    const log = app.log.child({ part: 'capture' });
    const sources = new Map<string, StreamSource>();
    const add = (spec: SourceSpec): void => {
      if (sources.has(spec.streamKey)) return;
      sources.set(
        spec.streamKey,
        new StreamSource(
          redis,
          spec,
          consumer,
          { batchSize: config.collector.batchSize, leaseMs: config.collector.leaseMs },
          log.child({ stream: spec.streamKey }),
        ),
      );
    };
    fixedSources(config).forEach(add);
    const discover = async (): Promise<void> => {
      try {
        (await discoverSources(redis, config)).forEach(add);
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'queue discovery failed; retrying');
      }
    };
    const list = (): StreamSource[] => [...sources.values()];
    let discovery: NodeJS.Timeout | undefined;
    if (config.collector.attach.some((t) => t.queue === '*')) {
      await discover();
      discovery = setInterval(() => void discover(), DISCOVER_EVERY_MS);
      discovery.unref();
    }
    const writer = QuestdbWriter.create(config.questdb.ilpConf);
    const loop = new CaptureLoop(
      writer,
      {
        flushIntervalMs: config.collector.flushIntervalMs,
        leaseMs: config.collector.leaseMs,
        sources: list,
        onStored: (rows) => app.observeStored(rows),
      },
      log,
    );
    let closed = false;
    void app.questdb.whenMigrated.then(() => {
      if (!closed) loop.start();
    });
    app.decorate('capture', { sources: list, loop });
    app.addHook('onClose', async () => {
      closed = true;
      clearInterval(discovery);
      await loop.stop().catch((err: unknown) => app.log.error({ err }, 'capture stop failed'));
      writer.close();
      await closeRedis(redis);
    });
  },
  { name: 'capture', dependencies: ['redis', 'questdb', 'metrics'] },
);
