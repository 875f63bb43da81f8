import { QUEUE_NAMES, concurrencyKeys, parseStoredConcurrency, type JobEvent, type StreamStatus } from '@queuescope/contracts';
import { withTimeout } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { deadLetterCounts } from '../capture/dead-letters.js';
import { streamStatus } from '../capture/stream-status.js';
import { readRedisMemory, type RedisMemory } from '../samplers/redis-info.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry (never prom-client's global one: tests run several apps per process). */
    metrics: Registry;
    /** Record a batch the ingest path stored and acknowledged (StreamConsumer `onStored`). */
    observeStored: (events: readonly JobEvent[]) => void;
  }
}

/** Buckets of the job histograms, ms. */
export const JOB_MS_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/**
 * Distinct `queue` label values kept before the rest count as `_other`: `POST /api/v1/events`
 * accepts any queue name, and every label value is a series Prometheus keeps forever.
 */
const MAX_QUEUE_LABELS = 100;

/** A Redis read of a scrape must not hang `/metrics` while Redis is away, ms. */
const LAG_TIMEOUT_MS = 2000;
/** Gauges of one scrape share one read of each kind made within this, ms. */
const SCRAPE_REUSE_MS = 250;

/**
 * Decorates `metrics` (a prom-client Registry of this app) and `observeStored`.
 * Job counters and histograms move only after a batch is stored in QuestDB, so they count what
 * the API can report; the lag, stream length, dead-letter and Redis memory gauges and the failure
 * counters are read at scrape time (stream lengths and Redis memory against `maxmemory` show a
 * stuck collector before Redis refuses writes).
 */
export default fp(
  async (app: FastifyInstance) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });

    const eventsTotal = new Counter({
      name: 'queuescope_events_total',
      help: 'Lifecycle events stored in QuestDB, by queue and event type',
      labelNames: ['queue', 'event'] as const,
      registers: [registry],
    });
    const latency = new Histogram({
      name: 'queuescope_job_latency_ms',
      help: 'End-to-end job latency (finished - enqueued) of completed and failed jobs, ms',
      labelNames: ['queue', 'outcome'] as const,
      buckets: JOB_MS_BUCKETS,
      registers: [registry],
    });
    const wait = new Histogram({
      name: 'queuescope_job_wait_ms',
      help: 'Message delay (started - enqueued) on active events, ms',
      labelNames: ['queue'] as const,
      buckets: JOB_MS_BUCKETS,
      registers: [registry],
    });
    const batches = new Counter({
      name: 'queuescope_ingest_batches_total',
      help: 'Batches written to QuestDB and acknowledged in Redis',
      registers: [registry],
    });
    const sources = () => (app.hasDecorator('capture') ? app.capture.sources() : []);
    new Counter({
      name: 'queuescope_ingest_write_failures_total',
      help: 'QuestDB writes that failed and were retried (the entries stayed pending in Redis)',
      registers: [registry],
      collect() {
        this.reset();
        if (app.hasDecorator('capture')) this.inc(app.capture.loop.stats.writeFailures);
      },
    });
    new Counter({
      name: 'queuescope_dead_letters_moved_total',
      help: 'Entries this process moved to a dead-letter stream: rows QuestDB refused (refused) and ingest entries that do not decode (malformed)',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        this.reset();
        if (!app.hasDecorator('capture')) return;
        this.inc({ kind: 'refused' }, app.capture.loop.stats.deadLetters);
        this.inc(
          { kind: 'malformed' },
          sources().reduce((n, s) => n + s.stats.malformedEntries, 0),
        );
      },
    });

    /**
     * A Redis read shared by every gauge of one scrape (the registry collects metrics concurrently),
     * bounded so a scrape never hangs while Redis is away; null when Redis does not answer in time.
     */
    const perScrape = <T>(what: string, read: () => Promise<T>): (() => Promise<T | null>) => {
      let last: { at: number; value: Promise<T | null> } | undefined;
      return () => {
        if (last && Date.now() - last.at < SCRAPE_REUSE_MS) return last.value;
        const value =
          app.redis.status !== 'ready'
            ? Promise.resolve(null)
            : withTimeout(read(), LAG_TIMEOUT_MS).catch((err: unknown) => {
                app.log.warn({ err: err instanceof Error ? err.message : String(err) }, `${what} not measured`);
                return null;
              });
        last = { at: Date.now(), value };
        return value;
      };
    };
    const statusForScrape = perScrape('ingest lag', async (): Promise<StreamStatus[]> => {
      const list = sources();
      return list.length === 0 ? [] : streamStatus(app.redis, list);
    });
    const deadLettersForScrape = perScrape('dead letters', async (): Promise<Map<string, number>> =>
      deadLetterCounts(
        app.redis,
        sources().map((s) => s.spec.streamKey),
      ),
    );
    const memoryForScrape = perScrape('redis memory', (): Promise<RedisMemory> => readRedisMemory(app.redis));

    new Gauge({
      name: 'queuescope_ingest_lag_ms',
      help: 'Age of the oldest event-stream entry not yet stored, ms (0 when drained; absent when Redis does not answer)',
      labelNames: ['stream'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of (await statusForScrape()) ?? []) this.set({ stream: s.streamKey }, s.lagMs);
      },
    });
    new Gauge({
      name: 'queuescope_capture_lost_events',
      help: 'Entries BullMQ trimmed from an events stream before any collector read them (every collector, since the stream began)',
      labelNames: ['stream'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of (await statusForScrape()) ?? []) this.set({ stream: s.streamKey }, s.lostEvents);
      },
    });
    new Gauge({
      name: 'queuescope_stream_length',
      help: 'Entries in each captured events stream (XLEN): grows without bound when the capture is stuck and the stream is not capped',
      labelNames: ['stream'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of (await statusForScrape()) ?? []) this.set({ stream: s.streamKey }, s.length);
      },
    });
    new Gauge({
      name: 'queuescope_dead_letters',
      help: 'Entries in the dead-letter stream of each captured stream (every collector; list: GET /api/v1/dead-letters, replay: npm run dead-letters -- --replay)',
      labelNames: ['stream'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [stream, n] of (await deadLettersForScrape()) ?? []) this.set({ stream }, n);
      },
    });
    const concurrencyForScrape = perScrape('concurrency settings', async (): Promise<[string, number][]> => {
      const { config } = app;
      const raws = await Promise.all(QUEUE_NAMES.map((q) => app.redis.get(concurrencyKeys(config.namespace, q).setting)));
      return QUEUE_NAMES.map((q, i) => {
        const stored = parseStoredConcurrency(raws[i] ?? null, config.worker.maxConcurrency);
        return [q, stored.kind === 'set' ? stored.concurrency : config.queues[q].concurrency];
      });
    });
    new Gauge({
      name: 'queuescope_queue_concurrency',
      help: 'Slots per worker process each queue is set to (its run-time setting, PUT /api/v1/queues/:queue/concurrency, else its profile); workers apply it within seconds',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const [queue, n] of (await concurrencyForScrape()) ?? []) this.set({ queue }, n);
      },
    });
    new Gauge({
      name: 'queuescope_redis_used_memory_bytes',
      help: 'Memory Redis uses (INFO memory used_memory), bytes; compare with queuescope_redis_maxmemory_bytes',
      registers: [registry],
      async collect() {
        this.reset();
        const memory = await memoryForScrape();
        if (memory) this.set(memory.usedBytes);
      },
    });
    new Gauge({
      name: 'queuescope_redis_maxmemory_bytes',
      help: 'Redis maxmemory (INFO memory), bytes; 0 = no limit. At the limit Redis refuses writes (noeviction): jobs get 503',
      registers: [registry],
      async collect() {
        this.reset();
        const memory = await memoryForScrape();
        if (memory) this.set(memory.maxBytes);
      },
    });

    const queueLabels = new Set<string>();
    const queueLabel = (queue: string): string => {
      if (queueLabels.has(queue)) return queue;
      if (queueLabels.size >= MAX_QUEUE_LABELS) return '_other';
      queueLabels.add(queue);
      return queue;
    };

    app.decorate('metrics', registry);
    // One child per label set, looked up once: a labelled observe() hashes its labels every call.
    const children = new Map<string, { observe: (v: number) => void }>();
    const child = (key: string, make: () => { observe: (v: number) => void }) => {
      let c = children.get(key);
      if (!c) children.set(key, (c = make()));
      return c;
    };
    app.decorate('observeStored', (events: readonly JobEvent[]) => {
      batches.inc();
      // Count per (queue, event) first: one labelled inc per pair, not per event.
      const counts = new Map<string, { queue: string; event: string; n: number }>();
      for (const e of events) {
        const queue = queueLabel(e.queue);
        const key = `${queue}\u0000${e.event}`;
        const c = counts.get(key);
        if (c) c.n++;
        else counts.set(key, { queue, event: e.event, n: 1 });
        if (e.latency_ms !== undefined && (e.event === 'completed' || e.event === 'failed')) {
          const outcome = e.event;
          child(`l${key}`, () => latency.labels({ queue, outcome })).observe(e.latency_ms);
        }
        if (e.wait_ms !== undefined && e.event === 'active') child(`w${queue}`, () => wait.labels({ queue })).observe(e.wait_ms);
      }
      for (const c of counts.values()) eventsTotal.inc({ queue: c.queue, event: c.event }, c.n);
    });
    app.addHook('onClose', async () => registry.clear());
  },
  { name: 'metrics', dependencies: ['config', 'redis'] },
);
