import { COLLECTOR_GROUP, MalformedEntryError, decodeEntry, eventIdentity, type JobEvent } from '@queuescope/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { QuestdbWriter } from './questdb-writer.js';

/** One stream entry as XREADGROUP / XAUTOCLAIM return it. */
type RawEntry = [id: string, fields: string[]];

export interface ConsumerOptions {
  streamKey: string;
  /** This process's name in the consumer group (`host:pid`). */
  consumer: string;
  batchSize: number;
  blockMs: number;
  flushIntervalMs: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  /**
   * Called with the events of each batch after it was stored and acknowledged (metrics); a throw
   * here is logged and never fails the batch.
   */
  onStored?: (events: readonly JobEvent[]) => void;
}

/** Live numbers of one consumer loop, for `/api/v1/ingest/status` and `/metrics`. */
export interface ConsumerStats {
  streamKey: string;
  entriesStored: number;
  eventsWritten: number;
  entriesReclaimed: number;
  malformedEntries: number;
  writeFailures: number;
  /** ts (epoch µs) of the newest event written, 0 before the first. */
  lastEventTs: number;
  /** When the last batch was acknowledged, epoch ms, 0 before the first. */
  lastWriteAt: number;
}

/** Wait between retries of a batch QuestDB refused, ms. */
const WRITE_RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

/**
 * One consumer loop over one queue's event stream (STYLE R10):
 * XREADGROUP a batch → decode → write to QuestDB as one transaction → XACK + XDEL those ids.
 * Entries left pending by a consumer that died are taken over with XAUTOCLAIM at start and every
 * `claimIntervalMs`. A crash anywhere before the ack re-delivers the batch; the table's dedup
 * keys turn the second write into a no-op.
 */
export class StreamConsumer {
  readonly stats: ConsumerStats;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private lastClaim = 0;

  constructor(
    private readonly redis: Redis,
    private readonly writer: QuestdbWriter,
    private readonly opts: ConsumerOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.stats = { streamKey: opts.streamKey, entriesStored: 0, eventsWritten: 0, entriesReclaimed: 0, malformedEntries: 0, writeFailures: 0, lastEventTs: 0, lastWriteAt: 0 };
  }

  /** Create the consumer group (idempotent) and start the loop. */
  async start(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.opts.streamKey, COLLECTOR_GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('BUSYGROUP'))) throw err;
    }
    this.loop = this.run();
  }

  /** Finish the batch in hand (write + ack), then stop reading. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (Date.now() - this.lastClaim >= this.opts.claimIntervalMs) await this.reclaim();
        const reply = (await this.redis.xreadgroup(
          'GROUP', COLLECTOR_GROUP, this.opts.consumer,
          'COUNT', this.opts.batchSize,
          'BLOCK', this.opts.blockMs,
          'STREAMS', this.opts.streamKey, '>',
        )) as [string, RawEntry[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        const started = Date.now();
        await this.storeThenAck(entries);
        // Below a full batch, gather for the rest of the interval: fewer, larger transactions.
        const rest = this.opts.flushIntervalMs - (Date.now() - started);
        if (entries.length < this.opts.batchSize && rest > 0 && !this.stopping) await sleep(rest);
      } catch (err) {
        if (this.stopping) break;
        this.log.warn({ err, stream: this.opts.streamKey }, 'stream read failed; retrying');
        await sleep(500);
      }
    }
  }

  /** Take over entries another consumer read but never acknowledged (it died mid-batch). */
  private async reclaim(): Promise<void> {
    this.lastClaim = Date.now();
    let cursor = '0-0';
    do {
      const [next, entries] = (await this.redis.xautoclaim(
        this.opts.streamKey, COLLECTOR_GROUP, this.opts.consumer, this.opts.claimIdleMs, cursor, 'COUNT', this.opts.batchSize,
      )) as [string, RawEntry[], string[]?];
      // Entries deleted meanwhile come back as null fields; they were stored and acked already.
      const live = entries.filter((e): e is RawEntry => Array.isArray(e?.[1]));
      if (live.length > 0) {
        this.stats.entriesReclaimed += live.length;
        this.log.info({ stream: this.opts.streamKey, entries: live.length }, 'reclaimed pending entries of a dead consumer');
        await this.storeThenAck(live);
      }
      cursor = next;
    } while (cursor !== '0-0' && !this.stopping);
  }

  /**
   * Write `events` one at a time; each QuestDB refuses (400) goes to the dead-letter stream with
   * the reason. Returns the events that were stored.
   */
  private async isolateRefused(events: JobEvent[]): Promise<JobEvent[]> {
    const stored: JobEvent[] = [];
    for (const event of events) {
      try {
        await this.writer.write([event]);
        stored.push(event);
      } catch (err) {
        if (!isRefusedData(err)) throw err;
        this.stats.malformedEntries++;
        const reason = err instanceof Error ? err.message.slice(0, 500) : String(err);
        await this.redis.xadd(`${this.opts.streamKey}:dead`, '*', 'reason', reason, 'event', JSON.stringify(event));
        this.log.error({ stream: this.opts.streamKey, jobId: event.job_id, reason }, 'event refused by QuestDB moved to dead-letter stream');
      }
    }
    return stored;
  }

  /**
   * The one place that orders "store, then acknowledge". XACK (and XDEL, so the stream does not
   * grow) runs only after QuestDB accepted the batch; until then the entries stay pending in
   * Redis and survive a crash of this process.
   */
  private async storeThenAck(entries: RawEntry[]): Promise<void> {
    const byIdentity = new Map<string, JobEvent>();
    for (const [id, fields] of entries) {
      try {
        // A later event with the same identity (a timing refinement) replaces the earlier one.
        for (const event of decodeEntry(fields)) byIdentity.set(eventIdentity(event), event);
      } catch (err) {
        if (!(err instanceof MalformedEntryError)) throw err;
        this.stats.malformedEntries++;
        await this.redis.xadd(`${this.opts.streamKey}:dead`, '*', 'source_id', id, 'reason', err.message, ...fields);
        this.log.error({ stream: this.opts.streamKey, id, reason: err.message }, 'malformed entry moved to dead-letter stream');
      }
    }
    let events = [...byIdentity.values()];
    for (let attempt = 0; events.length > 0; attempt++) {
      try {
        await this.writer.write(events);
        break;
      } catch (err) {
        this.stats.writeFailures++;
        if (isRefusedData(err)) {
          // QuestDB refused the data itself (HTTP 400): retrying the same batch would block the
          // stream forever, so store what it accepts one by one and dead-letter the rest.
          events = await this.isolateRefused(events);
          break;
        }
        this.log.warn({ err, stream: this.opts.streamKey, events: events.length, attempt }, 'QuestDB refused batch; retrying (entries stay pending)');
        if (this.stopping && attempt >= 2) throw err;
        await sleep(WRITE_RETRY_MS[Math.min(attempt, WRITE_RETRY_MS.length - 1)]!);
      }
    }
    const ids = entries.map(([id]) => id);
    await this.redis.multi().xack(this.opts.streamKey, COLLECTOR_GROUP, ...ids).xdel(this.opts.streamKey, ...ids).exec();
    this.stats.entriesStored += ids.length;
    this.stats.eventsWritten += events.length;
    this.stats.lastWriteAt = Date.now();
    for (const e of events) if (e.ts > this.stats.lastEventTs) this.stats.lastEventTs = e.ts;
    if (events.length > 0 && this.opts.onStored) {
      try {
        this.opts.onStored(events);
      } catch (err) {
        this.log.warn({ err, stream: this.opts.streamKey }, 'onStored observer failed');
      }
    }
  }
}

/** A 400 from QuestDB's ILP endpoint: the rows themselves are invalid; not a transient failure. */
function isRefusedData(err: unknown): boolean {
  return err instanceof Error && /statusCode=400\b/.test(err.message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
