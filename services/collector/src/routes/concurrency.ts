import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ConcurrencyChangesSchema,
  ConcurrencySettingSchema,
  ErrorSchema,
  QUEUE_NAMES,
  RunIdSchema,
  SetConcurrencyBodySchema,
  WorkerConcurrencyReportSchema,
  concurrencyChannel,
  concurrencyKeys,
  parseStoredConcurrency,
  type Config,
  type ConcurrencySetting,
  type QueueName,
  type WorkerConcurrencyReport,
} from '@queuescope/contracts';
import { DependencyUnavailableError, HttpError, withTimeout, type RedisClient } from '@queuescope/service-kit';
import type { FastifyBaseLogger } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { concurrencyChangesOfRun, insertConcurrencyChange } from '../db/queries/concurrency.js';
import { requireRun } from '../db/queries/runs.js';

/** Longest one Redis step of these routes may take before the answer is 503, ms. */
const REDIS_TIMEOUT_MS = 3000;
/** A worker whose last report is older than this is not listed (it stopped or was killed), ms. */
const LIVE_REPORT_MS = 15_000;
/** `actor` of a change whose request named none. */
const DEFAULT_ACTOR = 'api';

/**
 * setConcurrency-1 (bullmq-style header, STYLE R11)
 *   Input:  KEYS[1] the queue's setting key
 *           ARGV[1] the new slots per worker process (decimal text)
 *           ARGV[2] the slots in force while the key is absent (the profile's `concurrency`)
 *   Output: { the key's text before ('' when absent), 1 when it was written | 0 when it already held ARGV[1] }
 * A value equal to what is in force (the key's text, or the profile's while absent) is not written.
 */
const SET_SCRIPT = `
local old = redis.call('GET', KEYS[1])
if old == ARGV[1] or (not old and ARGV[2] == ARGV[1]) then return { old or '', 0 } end
redis.call('SET', KEYS[1], ARGV[1])
return { old or '', 1 }`;

/**
 * revertConcurrency-1
 *   Input:  KEYS[1] the queue's setting key
 *           ARGV[1] the value this request wrote; ARGV[2] the value before ('' = the key was absent)
 *   Output: 1 when reverted, 0 when another change has replaced ours since (left alone)
 */
const REVERT_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1`;

const QueueParams = Type.Object(
  { queue: Type.Enum(QUEUE_NAMES, { description: `a queue of this deployment: ${QUEUE_NAMES.join(', ')}` }) },
  { additionalProperties: false },
);
const checkReport = Compile(WorkerConcurrencyReportSchema);

/** A Redis step of a request: 503 at once when Redis is not connected (nothing is queued to run later), or when it does not answer in time. */
async function redisStep<T>(redis: RedisClient, work: () => Promise<T>): Promise<T> {
  if (redis.status !== 'ready') throw new DependencyUnavailableError('redis', 'not connected');
  try {
    return await withTimeout(work(), REDIS_TIMEOUT_MS);
  } catch (err) {
    throw new DependencyUnavailableError('redis', err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** The slots in force for `queue` as the workers read the setting: the key's value (clamped), else the profile's. */
function inForce(config: Config, queue: QueueName, raw: string | null): Pick<ConcurrencySetting, 'concurrency' | 'source'> {
  const stored = parseStoredConcurrency(raw, config.worker.maxConcurrency);
  return stored.kind === 'set'
    ? { concurrency: stored.concurrency, source: 'setting' }
    : { concurrency: config.queues[queue].concurrency, source: 'profile' };
}

/** The setting of `queue` and the workers that reported it in the last {@link LIVE_REPORT_MS} (both keys in one slot). */
async function readSetting(redis: RedisClient, config: Config, queue: QueueName): Promise<ConcurrencySetting> {
  const keys = concurrencyKeys(config.namespace, queue);
  const [raw, fields] = await redisStep(redis, () => Promise.all([redis.get(keys.setting), redis.hgetall(keys.applied)]));
  const since = Date.now() - LIVE_REPORT_MS;
  const workers = Object.values(fields)
    .map(parseReport)
    .filter((r): r is WorkerConcurrencyReport => r !== undefined && r.at >= since)
    .sort((a, b) => a.id.localeCompare(b.id));
  return { queue, ...inForce(config, queue, raw), max: config.worker.maxConcurrency, workers };
}

/** One `applied` field, or undefined when it is not a report (another version, a hand edit). */
function parseReport(json: string): WorkerConcurrencyReport | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return checkReport.Check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Tell the workers to re-read `queue`'s setting now; a lost message is caught by their 10 s re-read, so a failure is only logged. */
async function publish(redis: RedisClient, config: Config, queue: QueueName, log: FastifyBaseLogger): Promise<void> {
  try {
    await redisStep(redis, () => redis.publish(concurrencyChannel(config.namespace), queue));
  } catch (err) {
    log.warn(
      { err: err instanceof Error ? err.message : String(err), queue },
      'concurrency change not published; workers pick it up on their next re-read',
    );
  }
}

/**
 * Run-time concurrency (issue 12): set and read the slots per worker process of a queue; workers
 * apply a change within a moment, without a restart (services/worker/src/concurrency-watcher.ts).
 *
 * `PUT /api/v1/queues/:queue/concurrency` (a write: needs QS_API_TOKEN when set), in this order:
 * 1. one Lua script on the queue's slot reads the value in force (the setting, else the profile's)
 *    and writes the new one;
 * 2. PUBLISH the queue's name on `concurrencyChannel(ns)`;
 * 3. INSERT the change into QuestDB's `concurrency_changes` over PGWire (so it is stored when we answer).
 * When step 3 fails, step 1 is undone (only if the key still holds our value) and the answer is
 * 503: no change applied, nothing half-recorded. A PUT with the value already in force is a no-op:
 * 200 with the setting, nothing written, published or recorded.
 */
const concurrency: FastifyPluginAsyncTypebox = async (app) => {
  const { config } = app;
  const max = config.worker.maxConcurrency;

  app.put(
    '/api/v1/queues/:queue/concurrency',
    {
      schema: {
        tags: ['concurrency'],
        summary: 'Set the slots per worker process of a queue, at run time',
        description:
          `Sets the queue's concurrency setting in Redis, tells the workers (they apply it through BullMQ's \`worker.concurrency\`, ` +
          `without a restart), and records the change (who, when, old → new) in QuestDB's \`concurrency_changes\`. ` +
          `\`concurrency\` is 1 to WORKER_MAX_CONCURRENCY (${max} here); above it: 400. Answers the setting after the change; ` +
          `its \`workers\` still show what they ran before (poll GET until they report the new value). ` +
          `The same value as now is a no-op: 200, nothing recorded. 503 when Redis or QuestDB cannot take it: ` +
          `a change QuestDB could not record is reverted (nothing half-applied). A 503 on a Redis timeout cannot ` +
          `tell whether Redis applied the write: GET shows what is in force.`,
        params: QueueParams,
        body: SetConcurrencyBodySchema,
        response: { 200: ConcurrencySettingSchema, 400: ErrorSchema, 401: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      const queue = request.params.queue;
      const body = request.body;
      if (body.concurrency > max) {
        throw new HttpError(
          400,
          'CONCURRENCY_ABOVE_MAX',
          `body/concurrency must be at most ${max} (WORKER_MAX_CONCURRENCY), got ${body.concurrency}`,
        );
      }
      // Refused before anything changes, rather than applied and then reverted.
      if (!app.questdb.migrated) throw new DependencyUnavailableError('questdb', 'schema not migrated yet');

      const { setting } = concurrencyKeys(config.namespace, queue);
      const profile = config.queues[queue].concurrency;
      const wanted = String(body.concurrency);
      const [oldRaw, written] = await redisStep(
        app.redis,
        () => app.redis.eval(SET_SCRIPT, 1, setting, wanted, String(profile)) as Promise<[string, number]>,
      );
      const before = inForce(config, queue, oldRaw === '' ? null : oldRaw).concurrency;
      if (written === 0) return readSetting(app.redis, config, queue);

      await publish(app.redis, config, queue, request.log);
      if (before !== body.concurrency) {
        try {
          await insertConcurrencyChange(app.db, {
            ts: new Date(),
            namespace: config.namespace,
            queue,
            from: before,
            to: body.concurrency,
            actor: body.actor ?? DEFAULT_ACTOR,
            runId: body.runId ?? null,
            reason: body.reason ?? null,
          });
        } catch (err) {
          throw await revert(queue, setting, wanted, oldRaw, err);
        }
        request.log.info({ queue, from: before, to: body.concurrency, actor: body.actor ?? DEFAULT_ACTOR }, 'concurrency changed');
      }
      return readSetting(app.redis, config, queue);
    },
  );

  /** Undo this request's write (unless another change replaced it) after QuestDB refused the record; the 503 to answer. */
  const revert = async (
    queue: QueueName,
    key: string,
    wrote: string,
    oldRaw: string,
    cause: unknown,
  ): Promise<DependencyUnavailableError> => {
    const detail = cause instanceof DependencyUnavailableError ? cause.detail : cause instanceof Error ? cause.message : String(cause);
    app.log.warn({ err: detail, queue }, 'concurrency change not recorded in QuestDB: reverting it');
    try {
      await redisStep(app.redis, () => app.redis.eval(REVERT_SCRIPT, 1, key, wrote, oldRaw) as Promise<number>);
      await publish(app.redis, config, queue, app.log);
    } catch (err) {
      app.log.error({ err: err instanceof Error ? err.message : String(err), queue }, 'concurrency change not reverted');
      return new DependencyUnavailableError('questdb', 'the change could not be recorded, and reverting it failed', { cause });
    }
    // A fixed sentence: a client must learn that nothing changed; QuestDB's own reason is in the log above.
    return new DependencyUnavailableError('questdb', 'the change could not be recorded, so it was not applied', { cause });
  };

  app.get(
    '/api/v1/queues/:queue/concurrency',
    {
      schema: {
        tags: ['concurrency'],
        summary: 'The slots per worker process of a queue, and what each live worker runs',
        description: `\`workers\`: the worker processes that reported in the last ${LIVE_REPORT_MS / 1000} s (each reports every few seconds).`,
        params: QueueParams,
        response: { 200: ConcurrencySettingSchema, 400: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => readSetting(app.redis, config, request.params.queue),
  );

  app.get(
    '/api/v1/runs/:id/concurrency-changes',
    {
      schema: {
        tags: ['concurrency'],
        summary: 'Concurrency changes of a run',
        description:
          'Changes tagged with the run id, or made between its start and its end (now while it runs), oldest first, ' +
          'of this deployment (QS_NAMESPACE).',
        params: Type.Object({ id: RunIdSchema }),
        response: { 200: ConcurrencyChangesSchema, 400: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      const run = await requireRun(app.db, request.params.id);
      const changes = await concurrencyChangesOfRun(app.db, {
        namespace: config.namespace,
        runId: run.id,
        from: run.startedAt,
        to: run.endedAt ?? new Date().toISOString(),
      });
      return { changes };
    },
  );
};
export default concurrency;
