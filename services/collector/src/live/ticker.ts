import { LIVE_QUEUE_FIELDS, mergeFrames, type Config, type LiveFrame, type LiveMessage, type LiveQueueSeries } from '@queuescope/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import {
  depthSeconds,
  newestEventTs,
  queueSeconds,
  redisSeconds,
  runActivity,
  workerSeconds,
  type LiveWindow,
} from '../db/queries/live.js';
import { redisStatsName } from '../samplers/redis-info.js';
import { place, secondsAxis } from './frame.js';

/** What one dashboard asked for: a run (or all events) and which queues to send. */
export interface LiveFilter {
  runId?: string | undefined;
  queues?: string[] | undefined;
}

interface Subscriber {
  filter: LiveFilter;
  send: (message: LiveMessage) => void;
}

/** One dashboard's place in the ticker; `close()` leaves it (idempotent). */
export interface Subscription {
  close(): void;
}

/** One SQL view shared by every subscriber with the same run filter. */
interface View {
  runId: string | undefined;
  subscribers: Set<Subscriber>;
  /** Subscribers still waiting for their backfill. */
  waiting: Set<Subscriber>;
  /** The last `backfillMs` of this view, merged from ticks. */
  frame: LiveFrame | undefined;
  ready: Promise<void> | undefined;
}

export interface TickerOptions {
  /** History a new dashboard receives, ms. */
  backfillMs: number;
  /** Seconds re-read on every tick, so late-arriving events (WAL apply, slow workers) are caught, ms. */
  tickWindowMs: number;
  /** Tick period, ms. */
  periodMs: number;
}

/**
 * The live stream's engine (DESIGN: one SQL tick per second shared by all subscribers). Every
 * `periodMs` it runs one fixed set of queries per distinct run filter that has subscribers —
 * never per dashboard — and sends each subscriber the last seconds. A new dashboard gets the
 * view's cached history as backfill; only the first subscriber of a run filter costs a backfill
 * query. `sqlQueries` counts every statement issued, for /metrics and the cost test.
 *
 * Each distinct run filter costs its own statements every second, so at most
 * `config.collector.limits.liveMaxFilters` (COLLECTOR_LIVE_MAX_FILTERS) are served at once; a
 * queue filter costs nothing (it is cut from the run's frame in memory). Subscribers with the same
 * queue filter get the same message object, so a frame is serialized once per filter.
 */
export class LiveTicker {
  sqlQueries = 0;
  private readonly views = new Map<string, View>();
  /**
   * The ticker's SQL runs one frame at a time, each frame's statements one after another: however
   * many views tick or backfill at once, the live stream holds at most two pooled connections
   * (`runActivity` reads two tables together), so it never takes the pool from the read routes and
   * exports. QuestDB answers PGWire on one network thread here (infra/questdb/server.conf), so
   * parallel statements would not finish sooner anyway. A tick slower than `periodMs` delays the
   * next one; the tick window re-reads the seconds it covered.
   */
  private sqlTurn: Promise<unknown> = Promise.resolve();
  /** Backfill messages of a view's current frame, so dashboards joining between two ticks share them. */
  private readonly backfills = new WeakMap<LiveFrame, (queues: string[] | undefined) => LiveMessage>();
  /** Where each open subscription sits, so a replacing subscribe knows whether it frees a filter. */
  private readonly placeOf = new WeakMap<Subscription, { key: string; view: View }>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly redisName: string;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly config: Config,
    private readonly log: FastifyBaseLogger,
    private readonly opts: TickerOptions = { backfillMs: 5 * 60_000, tickWindowMs: 5_000, periodMs: 1_000 },
  ) {
    this.redisName = redisStatsName(config);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const v of this.views.values()) n += v.subscribers.size;
    return n;
  }

  /** Distinct run filters served now (each costs its own SQL every second). */
  get filterCount(): number {
    return this.views.size;
  }

  /**
   * Add a subscriber, in place of `replacing` if given; it first receives a backfill, then ticks.
   * Returns undefined, and leaves `replacing` as it was, when its run filter would be one more than
   * COLLECTOR_LIVE_MAX_FILTERS.
   */
  subscribe(filter: LiveFilter, send: (message: LiveMessage) => void, replacing?: Subscription): Subscription | undefined {
    const key = filter.runId ?? '';
    if (!this.views.has(key)) {
      const old = replacing ? this.placeOf.get(replacing) : undefined;
      const freed = old !== undefined && old.key !== key && old.view.subscribers.size === 1 ? 1 : 0;
      if (this.views.size - freed >= this.config.collector.limits.liveMaxFilters) return undefined;
    }
    let view = this.views.get(key);
    if (!view) {
      view = { runId: filter.runId, subscribers: new Set(), waiting: new Set(), frame: undefined, ready: undefined };
      this.views.set(key, view);
    }
    const subscriber: Subscriber = { filter, send };
    view.subscribers.add(subscriber);
    const v = view;
    if (v.frame) queueMicrotask(() => v.subscribers.has(subscriber) && send(this.backfillOf(v.frame!)(filter.queues)));
    else {
      v.waiting.add(subscriber);
      v.ready ??= this.backfill(v);
    }
    // Left only now: a dashboard that changes its queues keeps the view (and its cached history).
    replacing?.close();
    this.start();
    const subscription: Subscription = {
      close: () => {
        if (!v.subscribers.delete(subscriber)) return;
        v.waiting.delete(subscriber);
        this.placeOf.delete(subscription);
        if (v.subscribers.size === 0 && this.views.get(key) === v) this.views.delete(key);
        if (this.views.size === 0) this.stop();
      },
    };
    this.placeOf.set(subscription, { key, view: v });
    return subscription;
  }

  private backfillOf(frame: LiveFrame): (queues: string[] | undefined) => LiveMessage {
    let message = this.backfills.get(frame);
    if (!message) {
      message = messages('backfill', frame);
      this.backfills.set(frame, message);
    }
    return message;
  }

  /** Stop ticking and wait for an in-flight tick. Idempotent. */
  async close(): Promise<void> {
    this.views.clear();
    this.stop();
    await this.ticking;
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.ticking) return; // never overlap: a slow tick delays the next one
      this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, this.opts.periodMs);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Load a view's history and hand it to the subscribers waiting for it; a failure is retried on the next tick. */
  private async backfill(view: View): Promise<void> {
    const now = Date.now();
    try {
      view.frame = await this.frame({
        from: new Date(now - this.opts.backfillMs).toISOString(),
        to: new Date(now).toISOString(),
        runId: view.runId,
      });
      const message = this.backfillOf(view.frame);
      for (const s of view.waiting) s.send(message(s.filter.queues));
      view.waiting.clear();
    } catch (err) {
      this.log.warn({ err }, 'live backfill failed; retrying on the next tick');
      view.ready = undefined;
    }
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    for (const view of [...this.views.values()]) {
      if (!view.frame) {
        view.ready ??= this.backfill(view);
        continue;
      }
      try {
        const delta = await this.frame({
          from: new Date(now - this.opts.tickWindowMs).toISOString(),
          to: new Date(now).toISOString(),
          runId: view.runId,
        });
        view.frame = mergeFrames(view.frame, delta, now - this.opts.backfillMs);
        const message = messages('tick', delta);
        for (const s of view.subscribers) s.send(message(s.filter.queues));
      } catch (err) {
        this.log.warn({ err }, 'live tick failed');
      }
    }
  }

  /** One frame over [from, to): a fixed set of seven statements, whatever the number of subscribers; waits its turn (`sqlTurn`). */
  private frame(w: LiveWindow): Promise<LiveFrame> {
    const run = (): Promise<LiveFrame> => this.read(w);
    const next = this.sqlTurn.then(run, run);
    this.sqlTurn = next.catch(() => undefined);
    return next;
  }

  /** {@link frame}'s statements, one after another (see `sqlTurn`). */
  private async read(w: LiveWindow): Promise<LiveFrame> {
    this.sqlQueries += 7;
    const queueRows = await queueSeconds(this.db, w);
    const workerRows = await workerSeconds(this.db, w);
    const depthRows = await depthSeconds(this.db, { ...w, namespace: this.config.namespace });
    const redisRows = await redisSeconds(this.db, { ...w, redis: this.redisName });
    const runs = await runActivity(this.db, w);
    const newest = await newestEventTs(this.db, w);
    const axis = secondsAxis(Date.parse(w.from), Date.parse(w.to));
    const zeroCounts = { throughput: 0, retries: 0, failures: 0 };
    const perQueue = place(
      axis,
      queueRows,
      (r) => r.queue,
      {
        throughput: (r) => r.throughput,
        p50: (r) => r.p50,
        p95: (r) => r.p95,
        p99: (r) => r.p99,
        waitP95: (r) => r.wait_p95,
        retries: (r) => r.retries,
        failures: (r) => r.failures,
      },
      zeroCounts,
    );
    const depth = place(axis, depthRows, (r) => r.queue, { depth: (r) => r.waiting }, {});
    const names = new Set([...Object.keys(this.config.queues), ...Object.keys(perQueue)]);
    const queues: Record<string, LiveQueueSeries> = {};
    for (const q of names) {
      const base = perQueue[q] ?? { throughput: axis.map(() => 0), retries: axis.map(() => 0), failures: axis.map(() => 0) };
      queues[q] = Object.fromEntries(
        LIVE_QUEUE_FIELDS.map((f) => [f, f === 'depth' ? (depth[q]?.depth ?? axis.map(() => null)) : (base[f] ?? axis.map(() => null))]),
      ) as unknown as LiveQueueSeries;
    }
    const workers = Object.fromEntries(
      Object.entries(place(axis, workerRows, (r) => r.worker, { finished: (r) => r.finished }, { finished: 0 })).map(([w, s]) => [
        w,
        s.finished!,
      ]),
    );
    const redis = place(
      axis,
      redisRows,
      () => 'redis',
      { opsPerSec: (r) => r.ops_per_sec, usedMemoryBytes: (r) => r.used_memory_bytes, pingMs: (r) => r.ping_ms },
      {},
    ).redis;
    const markers: LiveFrame['runMarkers'] = [];
    for (const m of runs.markers) {
      if (m.ts.getTime() >= Date.parse(w.from)) markers.push({ ts: m.ts.getTime(), runId: m.id, kind: 'start', name: m.name });
      if (m.ended_at && m.ended_at.getTime() >= Date.parse(w.from))
        markers.push({ ts: m.ended_at.getTime(), runId: m.id, kind: 'end', name: m.name });
    }
    return {
      ts: axis,
      queues,
      workers,
      redis: {
        opsPerSec: redis?.opsPerSec ?? axis.map(() => null),
        usedMemoryBytes: redis?.usedMemoryBytes ?? axis.map(() => null),
        pingMs: redis?.pingMs ?? axis.map(() => null),
      },
      activeRun: runs.active
        ? {
            id: runs.active.id,
            name: runs.active.name,
            scenario: runs.active.scenario,
            engine: runs.active.engine,
            startedAt: runs.active.ts.toISOString(),
            vus: runs.active.vus,
          }
        : null,
      runMarkers: markers.sort((a, b) => a.ts - b.ts),
      slo: Object.fromEntries(Object.entries(this.config.queues).map(([q, p]) => [q, p.slo])),
      newestEventTs: newest,
    };
  }
}

/** Messages of one frame per queue filter, one object per distinct filter (serialized once by routes/live.ts). */
function messages(type: 'backfill' | 'tick', frame: LiveFrame): (queues: string[] | undefined) => LiveMessage {
  const byFilter = new Map<string, LiveMessage>();
  return (queues) => {
    const key = queues && queues.length > 0 ? JSON.stringify(queues) : '';
    let message = byFilter.get(key);
    if (!message) {
      message = { type, frame: only(frame, queues) };
      byFilter.set(key, message);
    }
    return message;
  };
}

/** `frame` restricted to `queues` (all when not given). */
function only(frame: LiveFrame, queues: string[] | undefined): LiveFrame {
  if (!queues || queues.length === 0) return frame;
  return {
    ...frame,
    queues: Object.fromEntries(Object.entries(frame.queues).filter(([q]) => queues.includes(q))),
    slo: Object.fromEntries(Object.entries(frame.slo).filter(([q]) => queues.includes(q))),
  };
}
