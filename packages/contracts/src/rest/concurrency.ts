import { Type, type Static } from 'typebox';
import { CLOSED, DateTime, Nullable, RunIdSchema } from './common.js';

/**
 * Run-time concurrency (issue 12): the slots per worker process of one queue, set without a restart.
 * Workers watch `concurrencyKeys(ns, queue).setting` (pub/sub for at once, a re-read on reconnect)
 * and apply it through BullMQ's `worker.concurrency`; every change is a row of QuestDB's
 * `concurrency_changes` (who, when, old → new).
 */

/** Who asks for a change: `tune` (loadtest --tune), `cli` (npm run tune), or any tool's own name. */
const Actor = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'who changes it: tune, cli, or a tool name' });

/** `PUT /api/v1/queues/:queue/concurrency` body. */
export const SetConcurrencyBodySchema = Type.Object(
  {
    concurrency: Type.Integer({ minimum: 1, description: 'slots per worker process, 1 to WORKER_MAX_CONCURRENCY' }),
    actor: Type.Optional(Actor),
    runId: Type.Optional(RunIdSchema),
    reason: Type.Optional(Type.String({ maxLength: 512, description: 'why, in words (tune prints the diagnosis)' })),
  },
  CLOSED,
);
export type SetConcurrencyBody = Static<typeof SetConcurrencyBodySchema>;

/** What one worker process reports for a queue (the `applied` hash), refreshed every few seconds. */
export const WorkerConcurrencyReportSchema = Type.Object(
  {
    id: Type.String({ description: 'host:pid, the BullMQ worker name' }),
    pid: Type.Integer(),
    host: Type.String(),
    concurrency: Type.Integer({ description: 'slots this process runs the queue with now' }),
    cpu: Type.Number({ description: 'CPU this process used over the last 10 s, in cores (1 = one core busy)' }),
    cores: Type.Integer({ description: 'cores of its host (os.availableParallelism())' }),
    at: Type.Integer({ description: 'when it reported, epoch ms' }),
  },
  CLOSED,
);
export type WorkerConcurrencyReport = Static<typeof WorkerConcurrencyReportSchema>;

/** `GET` and `PUT /api/v1/queues/:queue/concurrency`. */
export const ConcurrencySettingSchema = Type.Object(
  {
    queue: Type.String(),
    concurrency: Type.Integer({ description: 'slots per worker process the workers are told to run' }),
    source: Type.Enum(['setting', 'profile'] as const, {
      description: '`setting`: set at run time; `profile`: QUEUE_<NAME>_CONCURRENCY (nothing set yet)',
    }),
    max: Type.Integer({ description: 'WORKER_MAX_CONCURRENCY: the largest value a PUT accepts' }),
    workers: Type.Array(WorkerConcurrencyReportSchema, { description: 'live worker processes of the queue (reported in the last 15 s)' }),
  },
  CLOSED,
);
export type ConcurrencySetting = Static<typeof ConcurrencySettingSchema>;

/** One recorded change (QuestDB `concurrency_changes`). */
export const ConcurrencyChangeSchema = Type.Object(
  {
    ts: DateTime,
    queue: Type.String(),
    from: Type.Integer({ description: 'slots per process before' }),
    to: Type.Integer({ description: 'slots per process after' }),
    actor: Type.String(),
    runId: Nullable(Type.String()),
    reason: Nullable(Type.String()),
  },
  CLOSED,
);
export type ConcurrencyChange = Static<typeof ConcurrencyChangeSchema>;

/** `GET /api/v1/runs/:id/concurrency-changes`: changes tagged with the run, or made between its start and end. */
export const ConcurrencyChangesSchema = Type.Object({ changes: Type.Array(ConcurrencyChangeSchema) }, CLOSED);
export type ConcurrencyChanges = Static<typeof ConcurrencyChangesSchema>;

/**
 * What a queue's `setting` key (`concurrencyKeys(ns, queue).setting`) says, read the one way the
 * workers and the collector read it: `absent` (the profile's `concurrency` applies), `invalid`
 * (not a decimal integer: workers keep what they run and log a warning), or `set` to slots per
 * worker process clamped to 1..`max` (`clamped` when the stored number was outside).
 */
export type StoredConcurrency =
  { kind: 'absent' } | { kind: 'invalid'; raw: string } | { kind: 'set'; concurrency: number; clamped: boolean };

/** `raw` (the `setting` key's text, null when the key is absent) → {@link StoredConcurrency}; `max` is WORKER_MAX_CONCURRENCY. */
export function parseStoredConcurrency(raw: string | null, max: number): StoredConcurrency {
  if (raw === null) return { kind: 'absent' };
  if (!/^-?\d{1,15}$/.test(raw)) return { kind: 'invalid', raw };
  const n = Number(raw);
  const concurrency = Math.min(Math.max(n, 1), max);
  return { kind: 'set', concurrency, clamped: concurrency !== n };
}

/**
 * The tune round a run belongs to, as `loadtest --tune` stores it under `tune` in the run's
 * free-form config: `{ round: 1 }` for the first run, `{ round: N, previousRunId, changes }` for each
 * re-run (`changes` in the words tune printed, `webhook 1 → 3 per process`: strings, since the run
 * config nests at most 3 levels). Written by loadtest/src/tune, read by the dashboard's run page.
 */
export const TuneRoundSchema = Type.Object(
  {
    round: Type.Integer({ minimum: 1 }),
    previousRunId: Type.Optional(RunIdSchema),
    changes: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 64 })),
  },
  CLOSED,
);
export type TuneRound = Static<typeof TuneRoundSchema>;
