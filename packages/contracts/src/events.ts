import { Type, type Static } from 'typebox';

/** Every lifecycle transition queuescope records, in lifecycle order. */
export const EVENT_TYPES = ['added', 'active', 'retried', 'completed', 'failed', 'stalled'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Events that end one attempt: every `active` row is followed by exactly one of these. */
export const TERMINAL_EVENT_TYPES = ['retried', 'completed', 'failed', 'stalled'] as const satisfies readonly EventType[];
export type TerminalEventType = (typeof TERMINAL_EVENT_TYPES)[number];

/** Upper bound for free-text columns, so one bad job cannot blow up a batch. */
export const MAX_ERROR_LENGTH = 2048;

/** QuestDB refuses NUL in SYMBOL values; refusing it here keeps such an event out of the streams. */
const NO_NUL = '^[^\\u0000]*$';

/**
 * One job lifecycle event: one row of QuestDB `job_events` (DESIGN.md "Event schema").
 * `ts` is epoch **microseconds**; every `*_ms` field is **milliseconds**.
 */
export const JobEventSchema = Type.Object(
  {
    ts: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description:
        'when the transition happened, epoch µs (designated timestamp): for captured events the stream entry ID, ms × 1000 + sequence',
    }),
    run_id: Type.String({ maxLength: 128, pattern: NO_NUL, description: 'load-test run id; empty when none' }),
    queue: Type.String({ minLength: 1, maxLength: 128, pattern: NO_NUL, description: 'BullMQ queue name' }),
    event: Type.Enum(EVENT_TYPES, { description: 'lifecycle transition' }),
    job_id: Type.String({ minLength: 1, maxLength: 256, description: 'BullMQ job id (producer-generated, time-ordered, unique)' }),
    job_name: Type.String({ maxLength: 128, pattern: NO_NUL, description: 'BullMQ job name' }),
    attempt: Type.Integer({ minimum: 0, description: 'attempt number, 1 for the first attempt; 0 on `added`' }),
    worker: Type.String({ maxLength: 256, pattern: NO_NUL, description: "BullMQ `processedBy`: the worker's name (`host:pid` for ours)" }),
    wait_ms: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'message delay on the first `active`: its ts − the ts the job became ready (`added`, or promoted from delayed), ms',
      }),
    ),
    run_ms: Type.Optional(
      Type.Number({ minimum: 0, description: "processing time on terminal events: its ts − the attempt's `active` ts, ms" }),
    ),
    latency_ms: Type.Optional(Type.Number({ minimum: 0, description: 'end to end on `completed`/`failed`: its ts − the `added` ts, ms' })),
    error: Type.Optional(Type.String({ maxLength: MAX_ERROR_LENGTH, description: 'failure reason' })),
  },
  { additionalProperties: false, $id: 'JobEvent' },
);
export type JobEvent = Static<typeof JobEventSchema>;

/** Column order of QuestDB `job_events`; the collector's DDL is checked against it by a test. */
export const JOB_EVENT_COLUMNS = [
  'ts',
  'run_id',
  'queue',
  'event',
  'job_id',
  'job_name',
  'attempt',
  'worker',
  'wait_ms',
  'run_ms',
  'latency_ms',
  'error',
] as const satisfies readonly (keyof JobEvent)[];

/**
 * The columns that identify one event of one writer: with the collector's own `source` column
 * (capture | api) they are QuestDB's `DEDUP UPSERT KEYS`, so a re-delivery never adds a row and a
 * row sent to `POST /api/v1/events` never replaces a captured one. For a captured event `ts` is its
 * stream entry ID, unique per stream (DESIGN invariant 2).
 */
export const JOB_EVENT_DEDUP_KEYS = ['ts', 'queue', 'job_id', 'event'] as const satisfies readonly (keyof JobEvent)[];

/** The dedup identity of an event as one string (same fields as {@link JOB_EVENT_DEDUP_KEYS}). */
export function eventIdentity(e: Pick<JobEvent, (typeof JOB_EVENT_DEDUP_KEYS)[number]>): string {
  return `${e.ts}|${e.queue}|${e.job_id}|${e.event}`;
}

/** Epoch milliseconds → epoch microseconds (the `ts` column). */
export function msToMicros(ms: number): number {
  return Math.round(ms * 1000);
}

/**
 * A Redis stream entry ID `<ms>-<seq>` → the `ts` of its row, epoch µs: ms × 1000 + seq, one clock
 * (Redis's) for every event. Unique per stream while a millisecond holds < 1000 entries; past that,
 * rows stay distinct by job id and event in the dedup keys.
 */
export function streamIdToMicros(id: string): number {
  const dash = id.indexOf('-');
  return Number(id.slice(0, dash)) * 1000 + Number(id.slice(dash + 1));
}
