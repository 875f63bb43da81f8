import type { JobEvent } from '@queuescope/contracts';
import { IlpRejectedError } from '../db/ilp.js';
import type { RowSource } from '../db/schema.js';
import type { FastifyBaseLogger } from 'fastify';
import type { QuestdbWriter } from './questdb-writer.js';
import type { Batch, StreamSource } from './stream-source.js';

export interface CaptureLoopOptions {
  /** Time between two commits, ms. */
  flushIntervalMs: number;
  /** Lease TTL, ms; leases are renewed every third of it while a write is slow. */
  leaseMs: number;
  /** The streams to capture now; called every round, so discovery can add more. */
  sources: () => readonly StreamSource[];
  /** After every stored batch (metrics); a throw is logged and never fails the batch. */
  onStored?: (events: readonly JobEvent[]) => void;
}

/** Counters of the loop, next to each source's own. */
export interface LoopStats {
  commits: number;
  writeFailures: number;
  /** Rows QuestDB refused (HTTP 400) that went to their stream's dead-letter stream. */
  deadLetters: number;
  /** Duration of the last round (read, map, write, ack), ms. */
  lastRoundMs: number;
}

/** Wait between retries of a write QuestDB did not take, ms. */
const WRITE_RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The capture loop (STYLE R10): every `flushIntervalMs`, read each owned stream's new entries,
 * map them to rows, store all of them in ONE QuestDB write, and only then acknowledge each
 * stream's entries (and save its open jobs' state). A crash anywhere before the ack leaves the
 * entries pending in the consumer group; the next owner re-reads them, and the table's dedup keys
 * (the entry id is the row's identity) make the second write a no-op.
 */
export class CaptureLoop {
  readonly stats: LoopStats = { commits: 0, writeFailures: 0, deadLetters: 0, lastRoundMs: 0 };
  private stopping = false;
  private running: Promise<void> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly writer: QuestdbWriter,
    private readonly opts: CaptureLoopOptions,
    private readonly log: FastifyBaseLogger,
  ) {}

  start(): void {
    this.running = this.run();
    // Leases must outlive a slow or retried write (a QuestDB restart), so they are renewed apart from the loop.
    this.renewTimer = setInterval(
      () => {
        for (const s of this.opts.sources()) s.renew().catch(() => undefined);
      },
      Math.max(100, Math.floor(this.opts.leaseMs / 3)),
    );
    this.renewTimer.unref();
  }

  /** Finish the round in hand (write, then ack), give the streams up, stop. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    clearInterval(this.renewTimer);
    for (const s of this.opts.sources()) await s.release().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const started = Date.now();
      let full = false;
      try {
        const batches: Batch[] = [];
        for (const source of this.opts.sources()) {
          const batch = await source.poll().catch((err: unknown) => {
            this.log.warn({ err, stream: source.spec.streamKey }, 'stream read failed; retrying next round');
            return null;
          });
          if (batch) batches.push(batch);
        }
        full = batches.some((b) => b.read >= b.source.batchSize);
        await this.storeThenAck(batches);
      } catch (err) {
        this.log.error({ err }, 'capture round failed; retrying');
      }
      this.stats.lastRoundMs = Date.now() - started;
      const rest = this.opts.flushIntervalMs - (Date.now() - started);
      // A full batch means a backlog: go again at once instead of waiting out the interval.
      if (!full && rest > 0 && !this.stopping) await sleep(rest);
    }
  }

  /** The one place that orders "store, then acknowledge" (see the class comment). */
  private async storeThenAck(batches: Batch[]): Promise<void> {
    const withWork = batches.filter((b) => b.ids.length > 0 || b.gaps.length > 0);
    if (withWork.length === 0) return;
    const rows = withWork.flatMap((b) => b.rows);
    const apiRows = withWork.flatMap((b) => b.apiRows);
    const gaps = withWork.flatMap((b) => b.gaps);
    let refused = false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.writer.write(rows, gaps, apiRows);
        break;
      } catch (err) {
        this.stats.writeFailures++;
        if (isRefusedData(err)) {
          await this.isolateRefused(withWork);
          refused = true;
          break;
        }
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err), rows: rows.length + apiRows.length, attempt },
          'QuestDB did not take the batch; retrying (entries stay pending in Redis)',
        );
        if (this.stopping && attempt >= 2) throw err;
        await sleep(WRITE_RETRY_MS[Math.min(attempt, WRITE_RETRY_MS.length - 1)]!);
      }
    }
    this.stats.commits++;
    for (const b of withWork) {
      for (let attempt = 0; ; attempt++) {
        try {
          await b.source.ack(b);
          break;
        } catch (err) {
          // Redis away: the batch is stored; keep trying the ack, or the next owner redoes it (dedup).
          this.log.warn(
            { err: err instanceof Error ? err.message : String(err), stream: b.source.spec.streamKey, attempt },
            'ack failed; retrying',
          );
          if (this.stopping && attempt >= 2) throw err;
          await sleep(WRITE_RETRY_MS[Math.min(attempt, WRITE_RETRY_MS.length - 1)]!);
        }
      }
    }
    // What QuestDB has: after isolateRefused, only the rows it kept.
    const stored = refused ? withWork.flatMap((b) => b.rows.concat(b.apiRows)) : apiRows.length > 0 ? rows.concat(apiRows) : rows;
    if (stored.length > 0 && this.opts.onStored) {
      try {
        this.opts.onStored(stored);
      } catch (err) {
        this.log.warn({ err }, 'onStored observer failed');
      }
    }
  }

  /**
   * QuestDB refused the data itself (HTTP 400): retrying would block every stream forever, so
   * store what it accepts row by row and move each refused row to its stream's dead-letter stream.
   */
  private async isolateRefused(batches: Batch[]): Promise<void> {
    for (const b of batches) {
      b.rows = await this.storeEach(b, b.rows, 'capture');
      b.apiRows = await this.storeEach(b, b.apiRows, 'api');
      if (b.gaps.length > 0) await this.writer.write([], b.gaps);
    }
  }

  /** Write `rows` one by one; dead-letter each one QuestDB refuses. Returns the stored ones. */
  private async storeEach(b: Batch, rows: JobEvent[], source: RowSource): Promise<JobEvent[]> {
    const stored: JobEvent[] = [];
    for (const row of rows) {
      try {
        await (source === 'api' ? this.writer.write([], [], [row]) : this.writer.write([row]));
        stored.push(row);
      } catch (err) {
        if (!isRefusedData(err)) throw err;
        this.stats.deadLetters++;
        // QuestDB's own words (the error's message also names its address).
        const reason = err instanceof IlpRejectedError ? err.reason.slice(0, 500) : String(err);
        await b.source.deadLetter(row, reason, source);
      }
    }
    return stored;
  }
}

/** A 400 from QuestDB's ILP endpoint: the rows themselves are invalid; not a transient failure. */
function isRefusedData(err: unknown): boolean {
  return err instanceof IlpRejectedError;
}
