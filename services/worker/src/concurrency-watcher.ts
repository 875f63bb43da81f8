import { availableParallelism, hostname } from 'node:os';
import {
  concurrencyChannel,
  concurrencyKeys,
  parseStoredConcurrency,
  type Config,
  type QueueName,
  type WorkerConcurrencyReport,
} from '@queuescope/contracts';
import { closeRedis, createRedis, withTimeout, withTimeoutOr, type RedisClient } from '@queuescope/service-kit';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';

/** How often this process refreshes its report in each queue's `applied` hash, ms. */
const REPORT_EVERY_MS = 3000;
/** The `applied` hash expires this long after the last report of any worker (every worker gone), ms. */
const REPORT_TTL_MS = 30_000;
/** Safety net: every setting is re-read this often, whatever pub/sub said (a lost message, a subscriber still reconnecting), ms. */
const REREAD_EVERY_MS = 10_000;
/** The CPU figure of a report covers about this much time, ms. */
const CPU_WINDOW_MS = 10_000;
/** A report this old is a process that died without removing it (SIGKILL): the next re-read removes it, ms. */
const STALE_REPORT_MS = 60_000;
/** Longest the start-up read of the settings waits for Redis before the profile applies, ms. */
const START_READ_TIMEOUT_MS = 5000;
/** Longest each step of `close()` waits for Redis (a Redis that is gone must not hold the shutdown), ms. */
const CLOSE_STEP_TIMEOUT_MS = 1000;

export interface ConcurrencyWatcherOptions {
  config: Config;
  /** `host:pid`: the BullMQ worker name, and this process's field in each `applied` hash. */
  id: string;
  log: Logger;
}

/**
 * Run-time concurrency of one worker process (issue 12): each served queue's slots come from its
 * `setting` key (`concurrencyKeys(ns, queue)`; absent = the profile's `concurrency`) and are applied
 * through BullMQ's `worker.concurrency` setter, without a restart. A message on
 * `concurrencyChannel(ns)` naming a served queue makes it re-read at once; it also re-reads when its
 * subscriber (re)connects and every {@link REREAD_EVERY_MS} as a safety net. Values are clamped to
 * 1..`WORKER_MAX_CONCURRENCY`; a value that is not an integer is ignored with a warning. Every
 * {@link REPORT_EVERY_MS} it writes a {@link WorkerConcurrencyReport} to each queue's `applied` hash.
 *
 * It adds nothing to a job's path: its own two connections (commands, and a subscriber, since a
 * subscribed connection runs no other command), and no code in the handlers.
 */
export class ConcurrencyWatcher {
  private readonly log: Logger;
  private readonly commands: RedisClient;
  private subscriber: RedisClient | undefined;
  private workers = new Map<QueueName, Worker>();
  private readonly timers: NodeJS.Timeout[] = [];
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private reporting = false;
  private pruning = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Last setting text warned about per queue, so a bad value is logged once, not every re-read. */
  private readonly warned = new Map<QueueName, string>();
  private readonly cpuSamples: { at: number; usage: NodeJS.CpuUsage }[] = [{ at: Date.now(), usage: process.cpuUsage() }];
  private readonly cores = availableParallelism();

  constructor(private readonly opts: ConcurrencyWatcherOptions) {
    this.log = opts.log.child({ component: 'concurrency' });
    this.commands = createRedis(opts.config, 'worker');
    this.commands.on('error', (err: Error) => this.log.warn({ err: err.message }, 'redis error (concurrency commands)'));
  }

  /**
   * Slots per process each queue starts with: its setting, else the profile's `concurrency` (also
   * when Redis does not answer within {@link START_READ_TIMEOUT_MS}: the re-reads catch up later).
   * Read before the BullMQ workers exist, so none takes more jobs than it is allowed at start.
   */
  async initial(queues: readonly QueueName[]): Promise<Map<QueueName, number>> {
    const result = new Map<QueueName, number>(queues.map((q) => [q, this.opts.config.queues[q].concurrency]));
    try {
      const raws = await withTimeout(this.readSettings(queues), START_READ_TIMEOUT_MS, 'concurrency settings');
      queues.forEach((q, i) => {
        const target = this.target(q, raws[i] ?? null);
        if (target !== undefined) result.set(q, target);
      });
    } catch (err) {
      this.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'concurrency settings not read at start: profile values until the next re-read',
      );
    }
    return result;
  }

  /** Watch the settings of `workers`' queues and report what they run; call once, after `initial`. */
  start(workers: ReadonlyMap<QueueName, Worker>): void {
    if (this.closed) return;
    this.workers = new Map(workers);
    const channel = concurrencyChannel(this.opts.config.namespace);
    const subscriber = createRedis(this.opts.config, 'worker');
    this.subscriber = subscriber;
    subscriber.on('error', (err: Error) => this.log.warn({ err: err.message }, 'redis error (concurrency subscriber)'));
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel && this.workers.has(message as QueueName)) void this.refresh();
    });
    // Also on every reconnect: a change published while the subscriber was away is read here
    // (ioredis subscribes again on its own).
    subscriber.on('ready', () => void this.refresh());
    // Not awaited: while Redis is away the command waits in the offline queue, and the re-reads cover the gap.
    subscriber.subscribe(channel).catch((err: unknown) => {
      if (!this.closed) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'concurrency subscribe failed');
    });
    this.timers.push(
      setInterval(() => void this.report(), REPORT_EVERY_MS).unref(),
      setInterval(() => {
        void this.refresh();
        void this.prune();
      }, REREAD_EVERY_MS).unref(),
    );
    void this.report();
  }

  /**
   * Re-read every served queue's setting and apply it. Calls while a read is in flight make it read
   * once more when done (a change published during a read is not lost), and never pile up while
   * Redis is away.
   */
  refresh(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      do {
        this.readAgain = false;
        const queues = [...this.workers.keys()];
        try {
          const raws = await this.readSettings(queues);
          queues.forEach((q, i) => this.apply(q, raws[i] ?? null));
        } catch (err) {
          if (!this.closed) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'concurrency settings not read');
        }
      } while (this.readAgain && !this.closed);
    })().finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** Stop watching, remove this process's reports, close both connections. Idempotent; bounded when Redis is gone. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      for (const t of this.timers) clearInterval(t);
      const subscriber = this.subscriber;
      if (subscriber) {
        await withTimeoutOr(
          subscriber.unsubscribe().catch(() => undefined),
          CLOSE_STEP_TIMEOUT_MS,
          undefined,
        );
        subscriber.disconnect();
      }
      const queues = this.workers.size > 0 ? [...this.workers.keys()] : this.opts.config.worker.queues;
      const removed = Promise.all(
        queues.map((q) => this.commands.hdel(concurrencyKeys(this.opts.config.namespace, q).applied, this.opts.id)),
      );
      const done = await withTimeoutOr(
        removed.then(
          () => true,
          () => false,
        ),
        CLOSE_STEP_TIMEOUT_MS,
        false,
      );
      if (!done) this.log.warn('concurrency reports not removed (Redis did not answer); they expire on their own');
      await withTimeoutOr(closeRedis(this.commands), CLOSE_STEP_TIMEOUT_MS, undefined);
      this.commands.disconnect();
    })();
    return this.closing;
  }

  private readSettings(queues: readonly QueueName[]): Promise<(string | null)[]> {
    return Promise.all(queues.map((q) => this.commands.get(concurrencyKeys(this.opts.config.namespace, q).setting)));
  }

  /** The slots `raw` asks for `queue`, or undefined when it is not a number (ignored, warned once per value). */
  private target(queue: QueueName, raw: string | null): number | undefined {
    const max = this.opts.config.worker.maxConcurrency;
    const stored = parseStoredConcurrency(raw, max);
    if (stored.kind === 'absent') return this.opts.config.queues[queue].concurrency;
    const warn = (msg: string, extra: object) => {
      if (this.warned.get(queue) === raw) return;
      this.warned.set(queue, raw ?? '');
      this.log.warn({ queue, value: (raw ?? '').slice(0, 64), ...extra }, msg);
    };
    if (stored.kind === 'invalid') {
      warn('concurrency setting is not an integer: ignored', {});
      return undefined;
    }
    if (stored.clamped) warn('concurrency setting out of bounds: clamped', { applied: stored.concurrency, max });
    else this.warned.delete(queue);
    return stored.concurrency;
  }

  private apply(queue: QueueName, raw: string | null): void {
    const worker = this.workers.get(queue);
    const target = this.target(queue, raw);
    if (!worker || target === undefined || worker.concurrency === target || this.closed) return;
    this.log.info({ queue, from: worker.concurrency, to: target }, `concurrency ${worker.concurrency} → ${target}`);
    worker.concurrency = target;
    void this.report();
  }

  /** CPU this process used since a sample about {@link CPU_WINDOW_MS} ago, in cores (1 = one core busy). */
  private cpu(): number {
    const at = Date.now();
    const usage = process.cpuUsage();
    this.cpuSamples.push({ at, usage });
    while (this.cpuSamples.length > 2 && this.cpuSamples[1]!.at <= at - CPU_WINDOW_MS) this.cpuSamples.shift();
    const base = this.cpuSamples[0]!;
    const elapsedMs = at - base.at;
    if (elapsedMs <= 0) return 0;
    const usedMs = (usage.user - base.usage.user + usage.system - base.usage.system) / 1000;
    return Math.round((usedMs / elapsedMs) * 1000) / 1000;
  }

  /** Write this process's report to each served queue's `applied` hash (skipped while the last one is still waiting for Redis). */
  private async report(): Promise<void> {
    if (this.reporting || this.closed) return;
    this.reporting = true;
    try {
      const cpu = this.cpu();
      const pid = process.pid;
      await Promise.all(
        [...this.workers].map(([queue, worker]) => {
          const report: WorkerConcurrencyReport = {
            id: this.opts.id,
            pid,
            host: hostname(),
            concurrency: worker.concurrency,
            cpu,
            cores: this.cores,
            at: Date.now(),
          };
          const key = concurrencyKeys(this.opts.config.namespace, queue).applied;
          // One transaction: the hash never stays without its expiry.
          return this.commands.multi().hset(key, this.opts.id, JSON.stringify(report)).pexpire(key, REPORT_TTL_MS).exec();
        }),
      );
    } catch (err) {
      if (!this.closed) this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'concurrency report not written');
    } finally {
      this.reporting = false;
    }
  }

  /** Remove reports older than {@link STALE_REPORT_MS} (processes killed without closing) from the served queues' hashes. */
  private async prune(): Promise<void> {
    if (this.pruning || this.closed) return;
    this.pruning = true;
    try {
      const oldest = Date.now() - STALE_REPORT_MS;
      for (const queue of this.workers.keys()) {
        const key = concurrencyKeys(this.opts.config.namespace, queue).applied;
        const stale = Object.entries(await this.commands.hgetall(key))
          .filter(([, json]) => reportedAt(json) < oldest)
          .map(([field]) => field);
        if (stale.length > 0) await this.commands.hdel(key, ...stale);
      }
    } catch (err) {
      if (!this.closed) this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'stale concurrency reports not pruned');
    } finally {
      this.pruning = false;
    }
  }
}

/** A report's `at`, epoch ms; 0 for a field that does not parse (pruned as stale). */
function reportedAt(json: string): number {
  try {
    const at = (JSON.parse(json) as { at?: unknown }).at;
    return typeof at === 'number' ? at : 0;
  } catch {
    return 0;
  }
}
