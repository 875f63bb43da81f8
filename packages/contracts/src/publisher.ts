import type { JobEvent } from './events.js';
import { encodeEntry } from './stream.js';

/** Appends one entry to a stream (XADD <key> * …fields); resolves once Redis acknowledged it. */
export type AppendEntry = (streamKey: string, fields: string[]) => Promise<unknown>;

export interface PublisherOptions {
  /** Extra wait to gather more events before a write, ms; 0 means "next tick" (group commit). */
  lingerMs: number;
  /** Most events in one stream entry. */
  maxBatch: number;
}

interface Pending {
  event: JobEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit of lifecycle events into Redis Streams.
 *
 * `publish()` resolves when the entry holding the event is stored in Redis (durable in the
 * DESIGN.md sense). While one write per stream is in flight, new events gather and go out
 * together in the next entry, so at low load an event waits one round trip and at high load many
 * events share one XADD. Entries of one stream are written in order, one at a time.
 */
export class EventPublisher {
  private readonly queued = new Map<string, Pending[]>();
  private readonly inFlight = new Set<string>();
  private readonly idle: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly append: AppendEntry,
    private readonly options: PublisherOptions,
  ) {}

  /** Queue `event` for `streamKey`; resolves once it is stored, rejects if the write failed. */
  publish(streamKey: string, event: JobEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('publisher is closed'));
    return new Promise<void>((resolve, reject) => {
      let list = this.queued.get(streamKey);
      if (!list) {
        list = [];
        this.queued.set(streamKey, list);
      }
      list.push({ event, resolve, reject });
      if (!this.inFlight.has(streamKey)) this.schedule(streamKey);
    });
  }

  /** Resolves when nothing is queued or in flight; used before closing the Redis client. */
  async flush(): Promise<void> {
    if (this.queued.size === 0 && this.inFlight.size === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Stop accepting events and wait for the ones already accepted. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private schedule(streamKey: string): void {
    this.inFlight.add(streamKey);
    const run = (): void => void this.write(streamKey);
    if (this.options.lingerMs > 0) setTimeout(run, this.options.lingerMs);
    else setImmediate(run);
  }

  private async write(streamKey: string): Promise<void> {
    const all = this.queued.get(streamKey) ?? [];
    const batch = all.splice(0, this.options.maxBatch);
    if (all.length === 0) this.queued.delete(streamKey);
    try {
      await this.append(
        streamKey,
        encodeEntry(batch.map((p) => p.event)),
      );
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
    if (this.queued.has(streamKey)) {
      setImmediate(() => void this.write(streamKey));
      return;
    }
    this.inFlight.delete(streamKey);
    if (this.queued.size === 0 && this.inFlight.size === 0) {
      for (const done of this.idle.splice(0)) done();
    }
  }
}
