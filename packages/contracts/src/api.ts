/**
 * Shapes the collector's ingest status reports (`GET /api/v1/ingest/status`). The REST shapes of
 * runs, summaries, diagnosis, comparison and time series are TypeBox schemas in rest/.
 */

/** `GET /api/v1/ingest/status`: one captured events stream, as Redis and this collector see it now. */
export interface StreamStatus {
  streamKey: string;
  /** Queue name; '' for the ingest stream of `POST /api/v1/events`. */
  queue: string;
  kind: 'bullmq' | 'rows';
  /** Whether the answering collector owns the stream now (one collector reads a stream at a time). */
  owned: boolean;
  /** The collector that owns it (`host:pid`), or null. */
  owner: string | null;
  /** Entries in the stream (BullMQ keeps about `maxLenEvents`). */
  length: number;
  /** Entries not yet read by any collector. */
  unread: number;
  /** Entries read but not yet stored and acknowledged. */
  pending: number;
  /** Age of the oldest entry not yet stored, ms; 0 when everything is stored. */
  lagMs: number;
  /** Entries BullMQ trimmed before any collector read them (every collector, since the stream began). */
  lostEvents: number;
  /** BullMQ's `opts.maxLenEvents` of the queue; null for the ingest stream or when unknown. */
  maxLenEvents: number | null;
  /** Entries per second read from the stream by this collector, smoothed over ~10 s. */
  entriesPerSec: number;
  /** Counters of this collector process. */
  entriesRead: number;
  eventsWritten: number;
  entriesReclaimed: number;
  malformedEntries: number;
  /** Jobs between their first and last event, as far as the owner knows. */
  openJobs: number;
  /** ts (epoch µs) of the newest event this process wrote, 0 before the first. */
  lastEventTs: number;
  /** When this process last acknowledged a batch, epoch ms, 0 before the first. */
  lastWriteAt: number;
  /** Why this stream may lose events, when it may (e.g. `maxLenEvents` too small for the rate). */
  warnings: string[];
}

/** `GET /api/v1/ingest/status`. */
export interface IngestStatus {
  streams: StreamStatus[];
  totals: { unread: number; pending: number; eventsWritten: number; lostEvents: number; lagMs: number };
  /** The answering collector's capture loop. */
  capture: { commits: number; writeFailures: number; deadLetters: number; lastRoundMs: number };
  /** What the capture could not store (list: `GET /api/v1/dead-letters`; replay: `npm run dead-letters -- --replay`). */
  deadLetters: DeadLetterStatus;
}

/** Dead letters in `GET /api/v1/ingest/status`. */
export interface DeadLetterStatus {
  /** Entries in all dead-letter streams now (every collector). */
  total: number;
  /** Per captured stream, entries in its dead-letter stream (only streams that have some). */
  streams: { stream: string; deadLetters: number }[];
  /** Entries this collector process moved there: rows QuestDB refused, and ingest entries that do not decode. */
  moved: { refused: number; malformed: number };
}
