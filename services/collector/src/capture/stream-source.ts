import {
  COLLECTOR_GROUP,
  MalformedEntryError,
  captureKeys,
  deadLetterKey,
  decodeEntry,
  type CaptureKeys,
  type JobEvent,
  type StreamStatus,
} from '@queuescope/contracts';
import type { FastifyBaseLogger } from 'fastify';
import {
  decodeState,
  encodeState,
  jobsToEnrich,
  jobInfos,
  lifecycleEntries,
  mapEntries,
  type JobInfo,
  type JobState,
  type LifecycleEntry,
  type RawEntry,
} from './bullmq-mapper.js';
import type { RowSource } from '../db/schema.js';
import { REPLAYED_SOURCE_FIELD } from './dead-letters.js';
import type { CaptureRedis } from './scripts.js';
import { retentionWarning } from './retention.js';

/**
 * One events stream the collector captures:
 * - `bullmq`: a queue's own events stream, written by BullMQ's scripts (ours or an attached app's);
 * - `rows`: the ingest stream of `POST /api/v1/events`, whose entries already hold rows.
 */
export interface SourceSpec {
  kind: 'bullmq' | 'rows';
  streamKey: string;
  /** Queue name (`job_events.queue`); '' for the ingest stream. */
  queue: string;
  /** `<prefix>:<queue>:` for job hashes; '' for the ingest stream. */
  jobPrefix: string;
  /** BullMQ meta hash (holds `opts.maxLenEvents`); '' for the ingest stream. */
  meta: string;
}

/** A trimmed gap: entries lost before the collector read them, detected at `ts` (epoch ms). */
export interface GapRow {
  ts: number;
  streamKey: string;
  queue: string;
  lost: number;
}

/** What one poll read, mapped, and must acknowledge once QuestDB has the rows. */
export interface Batch {
  source: StreamSource;
  /** Entries read in all (lifecycle and not): a full batch means a backlog. */
  read: number;
  /** Ids to acknowledge once stored (the script already acknowledged entries that make no row). */
  ids: string[];
  /** Rows stored with `source = 'capture'`: every row of a BullMQ stream, and captured rows replayed from a dead-letter stream. */
  rows: JobEvent[];
  /** Rows stored with `source = 'api'`: the ingest stream's rows sent to `POST /api/v1/events` (empty for a BullMQ stream). */
  apiRows: JobEvent[];
  gaps: GapRow[];
  /** The `__gaps` text these gap rows came from, cleared by the ack. */
  gapsText: string;
  /** Saved with the ack: jobs still open after the batch (jobId → encoded state); and the finished ones. */
  save: [string, string][];
  forget: string[];
}

/** Counters of one source, kept by this process (the rest of {@link StreamStatus} is read from Redis). */
export type SourceStats = Pick<
  StreamStatus,
  | 'streamKey'
  | 'queue'
  | 'kind'
  | 'owned'
  | 'entriesRead'
  | 'eventsWritten'
  | 'entriesReclaimed'
  | 'lostEvents'
  | 'malformedEntries'
  | 'entriesPerSec'
  | 'openJobs'
  | 'lastEventTs'
  | 'lastWriteAt'
>;

/** How often an owned stream's retention is checked against its rate, ms. */
const RETENTION_CHECK_MS = 60_000;

const isState = (field: string): boolean => !field.startsWith('__');

/** Whether an ingest entry's flat fields carry the replay mark `src capture`. */
function isReplayedCapture(fields: readonly string[]): boolean {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === REPLAYED_SOURCE_FIELD) return fields[i + 1] === 'capture';
  return false;
}

/** "<ms>:<count>;…" → gap rows. */
function parseGaps(text: string, spec: SourceSpec): GapRow[] {
  return text
    .split(';')
    .filter((g) => g.includes(':'))
    .map((g) => {
      const [ts, lost] = g.split(':');
      return { ts: Number(ts), lost: Number(lost), streamKey: spec.streamKey, queue: spec.queue };
    });
}

/**
 * Reads one stream for the capture loop. The stream's lease makes this collector its only reader,
 * so entries are mapped in stream order with the job state kept here; the state of jobs still
 * open is saved in Redis with each ack, and loaded when a collector takes the stream over.
 */
export class StreamSource {
  readonly stats: SourceStats;
  readonly keys: CaptureKeys;
  private states = new Map<string, JobState>();
  /** Jobs whose state is saved in Redis (only those need forgetting there when they finish). */
  private readonly persisted = new Set<string>();
  private owned = false;

  constructor(
    private readonly redis: CaptureRedis,
    readonly spec: SourceSpec,
    private readonly consumer: string,
    private readonly opts: { batchSize: number; leaseMs: number },
    private readonly log: FastifyBaseLogger,
  ) {
    this.keys = captureKeys(spec.streamKey);
    this.stats = {
      streamKey: spec.streamKey,
      queue: spec.queue,
      kind: spec.kind,
      owned: false,
      entriesRead: 0,
      eventsWritten: 0,
      entriesReclaimed: 0,
      lostEvents: 0,
      malformedEntries: 0,
      entriesPerSec: 0,
      openJobs: 0,
      lastEventTs: 0,
      lastWriteAt: 0,
    };
  }

  /** Most entries one poll reads. */
  get batchSize(): number {
    return this.opts.batchSize;
  }

  /** Keep a row QuestDB refused, with the reason and its source, in the dead-letter stream (capture/dead-letters.ts: listed, replayable). */
  async deadLetter(row: JobEvent, reason: string, source: RowSource): Promise<void> {
    await this.redis.xadd(deadLetterKey(this.spec.streamKey), '*', 'reason', reason, 'source', source, 'event', JSON.stringify(row));
    this.log.error({ stream: this.spec.streamKey, jobId: row.job_id, reason }, 'row refused by QuestDB moved to dead-letter stream');
  }

  /** Read the next batch if this collector owns (or can take) the stream; null when it does not. */
  async poll(): Promise<Batch | null> {
    if (!this.owned) {
      const taken = await this.redis.set(this.keys.lease, this.consumer, 'PX', this.opts.leaseMs, 'NX');
      if (taken !== 'OK') return null;
      this.setOwned(true);
      await this.takeOver();
    }
    const compact = this.spec.kind === 'bullmq';
    const reply = await this.redis.qsReadBatch(
      this.spec.streamKey,
      this.keys.state,
      this.keys.lease,
      COLLECTOR_GROUP,
      this.consumer,
      this.opts.batchSize,
      this.opts.leaseMs,
      compact ? 1 : 0,
    );
    if (reply[0] === 0) {
      this.log.warn({ stream: this.spec.streamKey }, 'lease lost to another collector; it takes over this stream');
      this.setOwned(false);
      return null;
    }
    if (reply[0] === -2) {
      // No stream (yet, or deleted with its group): nothing to read, no job state to keep.
      this.states.clear();
      this.persisted.clear();
      this.stats.openJobs = 0;
      return null;
    }
    const [, flat, lostNow, lostTotal, gapsText, read] = reply;
    if (lostNow > 0)
      this.log.error(
        { stream: this.spec.streamKey, lost: lostNow },
        'entries were trimmed before they were read: raise EVENTS_MAX_LEN (streams.events.maxLen)',
      );
    this.stats.lostEvents = lostTotal;
    this.stats.entriesRead += read;
    this.updateRate(read);
    await this.checkRetention();
    const batch: Batch = {
      source: this,
      read,
      ids: [],
      rows: [],
      apiRows: [],
      gaps: parseGaps(gapsText, this.spec),
      gapsText,
      save: [],
      forget: [],
    };
    if (compact) {
      const entries = lifecycleEntries(flat as string);
      batch.ids = entries.map((e) => e.id);
      if (entries.length > 0) await this.mapBullmq(entries, batch);
    } else {
      const entries = flat as RawEntry[];
      batch.ids = entries.map(([id]) => id);
      if (entries.length > 0) await this.decodeRows(entries, batch);
    }
    return batch;
  }

  /** Acknowledge a batch QuestDB has; false when the lease was lost (the new owner redoes it). */
  async ack(batch: Batch): Promise<boolean> {
    const args: (string | number)[] = [COLLECTOR_GROUP, this.consumer, batch.gapsText, batch.ids.length, ...batch.ids, batch.save.length];
    for (const [jobId, state] of batch.save) args.push(jobId, state);
    args.push(batch.forget.length, ...batch.forget);
    // One array argument: ioredis flattens it, and a spread of ~10^5 ids would overflow the call stack.
    const done = await this.redis.qsAckBatch(this.spec.streamKey, this.keys.state, this.keys.lease, args);
    if (done !== 1) {
      this.log.warn({ stream: this.spec.streamKey }, 'lease lost before the ack; the new owner re-reads the batch (rows dedup)');
      this.setOwned(false);
      return false;
    }
    for (const [jobId] of batch.save) this.persisted.add(jobId);
    for (const jobId of batch.forget) this.persisted.delete(jobId);
    this.stats.eventsWritten += batch.rows.length + batch.apiRows.length;
    this.stats.lastWriteAt = Date.now();
    for (const r of batch.rows) if (r.ts > this.stats.lastEventTs) this.stats.lastEventTs = r.ts;
    for (const r of batch.apiRows) if (r.ts > this.stats.lastEventTs) this.stats.lastEventTs = r.ts;
    return true;
  }

  /** Keep the lease while a write is slow; false when it is gone. */
  async renew(): Promise<boolean> {
    if (!this.owned) return false;
    if ((await this.redis.qsRenewLease(this.keys.lease, this.consumer, this.opts.leaseMs)) === 1) return true;
    this.setOwned(false);
    return false;
  }

  /** Give the stream up at shutdown, so another collector takes it at once. */
  async release(): Promise<void> {
    if (!this.owned) return;
    this.setOwned(false);
    await this.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
      1,
      this.keys.lease,
      this.consumer,
    );
  }

  private lastPollAt = 0;
  private lastRetentionCheck = 0;

  /** Every minute while owning a BullMQ stream: warn in the log when it holds too little history for the rate. */
  private async checkRetention(): Promise<void> {
    if (!this.spec.meta || Date.now() - this.lastRetentionCheck < RETENTION_CHECK_MS) return;
    this.lastRetentionCheck = Date.now();
    const maxLen = await this.redis.hget(this.spec.meta, 'opts.maxLenEvents');
    const warning = retentionWarning(maxLen === null ? null : Number(maxLen), this.stats.entriesPerSec);
    if (warning) this.log.warn({ stream: this.spec.streamKey }, warning);
  }

  /** Exponentially smoothed entries/s (time constant ~10 s). */
  private updateRate(entries: number): void {
    const now = Date.now();
    const dt = (now - this.lastPollAt) / 1000;
    this.lastPollAt = now;
    if (dt <= 0 || dt > 60) return;
    const alpha = 1 - Math.exp(-dt / 10);
    this.stats.entriesPerSec += alpha * (entries / dt - this.stats.entriesPerSec);
  }

  private setOwned(owned: boolean): void {
    this.owned = owned;
    this.stats.owned = owned;
    if (!owned) {
      this.states.clear();
      this.persisted.clear();
      this.stats.openJobs = 0;
    }
  }

  /**
   * Just took the lease: load the saved state of open jobs, and make the entries the previous owner
   * read but never acknowledged (it died, or lost the lease, before QuestDB had them) this
   * consumer's own pending entries; the read script returns those first, in order.
   */
  private async takeOver(): Promise<void> {
    const saved = await this.redis.hgetall(this.keys.state);
    for (const [jobId, text] of Object.entries(saved)) {
      if (!isState(jobId)) continue;
      const state = decodeState(text);
      if (state) this.states.set(jobId, state);
      this.persisted.add(jobId);
    }
    let reclaimed = 0;
    let cursor = '0-0';
    try {
      do {
        const [next, ids] = (await this.redis.xautoclaim(
          this.spec.streamKey,
          COLLECTOR_GROUP,
          this.consumer,
          0,
          cursor,
          'COUNT',
          10_000,
          'JUSTID',
        )) as [string, string[]];
        reclaimed += ids.length;
        cursor = next;
      } while (cursor !== '0-0');
    } catch (err) {
      if (!(err instanceof Error && /NOGROUP|no such key/i.test(err.message))) throw err;
    }
    if (reclaimed > 0) {
      this.stats.entriesReclaimed += reclaimed;
      this.log.info({ stream: this.spec.streamKey, entries: reclaimed }, 'took over entries another collector read but never stored');
    }
    this.stats.openJobs = this.states.size;
    this.log.info({ stream: this.spec.streamKey, openJobs: this.states.size }, 'capturing stream');
  }

  private async mapBullmq(entries: LifecycleEntry[], batch: Batch): Promise<void> {
    const wanted = jobsToEnrich(entries, this.states);
    const ids = [...wanted.keys()];
    const args = [...ids.map((id) => this.spec.jobPrefix + id), ...ids.map((id) => (wanted.get(id) ? '1' : '0'))];
    const infos = ids.length > 0 ? jobInfos(await this.redis.qsReadJobs(ids.length, args), ids) : new Map<string, JobInfo>();
    const mapped = mapEntries(this.spec.queue, entries, this.states, infos);
    batch.rows = mapped.rows;
    for (const jobId of mapped.touched) {
      const state = this.states.get(jobId);
      if (state) batch.save.push([jobId, encodeState(state)]);
    }
    // A job opened and finished between two acks was never saved: nothing to forget in Redis.
    batch.forget = [...mapped.closed].filter((jobId) => this.persisted.has(jobId));
    this.stats.openJobs = this.states.size;
  }

  /**
   * Ingest-stream entries → the batch's rows: `apiRows`, except an entry a dead-letter replay marked
   * as captured (capture/dead-letters.ts), whose rows keep `source = 'capture'`. Only whoever can
   * write to Redis can set that mark: `POST /api/v1/events` writes its own entries. A malformed
   * entry goes to the dead-letter stream with the reason.
   */
  private async decodeRows(entries: RawEntry[], batch: Batch): Promise<void> {
    for (const [id, fields] of entries) {
      try {
        const rows = decodeEntry(fields);
        (isReplayedCapture(fields) ? batch.rows : batch.apiRows).push(...rows);
      } catch (err) {
        if (!(err instanceof MalformedEntryError)) throw err;
        this.stats.malformedEntries++;
        await this.redis.xadd(deadLetterKey(this.spec.streamKey), '*', 'source_id', id, 'reason', err.message, ...fields);
        this.log.error({ stream: this.spec.streamKey, id, reason: err.message }, 'malformed entry moved to dead-letter stream');
      }
    }
  }
}
