import type { JobEvent, StreamStatus } from '@queuescope/contracts';
import { withTimeout } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { streamStatus } from '../capture/stream-status.js';

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

/** A lag scrape must not hang `/metrics` while Redis is away, ms. */
const LAG_TIMEOUT_MS = 2000;
/** Gauges of one scrape share one status read made within this, ms. */
const SCRAPE_REUSE_MS = 250;

/**
 * Decorates `metrics` (a prom-client Registry of this app) and `observeStored`.
 * Job counters and histograms move only after a batch is stored in QuestDB, so they count what
 * the API can report; the lag gauge and write failures are read from the consumers at scrape time.
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
    /**
     * The streams' status, read once per scrape for every gauge that needs it (the registry collects
     * metrics concurrently); null when Redis does not answer in time.
     */
    let scrape: { at: number; status: Promise<StreamStatus[] | null> } | undefined;
    const statusForScrape = (): Promise<StreamStatus[] | null> => {
      if (scrape && Date.now() - scrape.at < SCRAPE_REUSE_MS) return scrape.status;
      const list = sources();
      const status =
        list.length === 0 || app.redis.status !== 'ready'
          ? Promise.resolve(null)
          : withTimeout(streamStatus(app.redis, list), LAG_TIMEOUT_MS).catch((err: unknown) => {
              app.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ingest lag not measured');
              return null;
            });
      scrape = { at: Date.now(), status };
      return status;
    };
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
  { name: 'metrics', dependencies: ['redis'] },
);
