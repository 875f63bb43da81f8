import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { JobEventSchema, encodeEntry, ingestStream, type JobEvent } from '@queuescope/contracts';
import type { FastifySchemaCompiler } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { DependencyUnavailableError, withTimeout } from '@queuescope/service-kit';

/** Most events in one request. */
export const MAX_EVENTS = 5000;
/** Most events in one stream entry: one XADD carries at most this many. */
const EVENTS_PER_ENTRY = 500;
/** 5000 events of ~1 KB each (an `error` text can be 2 KB, most events are ~250 B), bytes. */
const BODY_LIMIT = 5 * 1024 * 1024;
/** How long the XADDs of one request may take before the answer is 503, ms. */
const WRITE_TIMEOUT_MS = 5000;

/** The request as documented (OpenAPI shows every JobEvent field). */
const EventsBody = Type.Object(
  { events: Type.Array(JobEventSchema, { minItems: 1, maxItems: MAX_EVENTS, description: `1..${MAX_EVENTS} events, stored all or none` }) },
  { additionalProperties: false },
);
/** What the route validator checks: the envelope only; the items are all checked in the handler, so a 400 lists every bad one. */
const checkEnvelope = Compile(
  Type.Object({ events: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_EVENTS }) }, { additionalProperties: false }),
);
const checkEvent = Compile(JobEventSchema);

interface FieldError {
  path: string;
  message: string;
}

const EventErrorSchema = Type.Object({ index: Type.Integer(), path: Type.String(), message: Type.String() });
const EventsErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  errors: Type.Optional(
    Type.Array(EventErrorSchema, { description: 'with code INVALID_EVENTS: every problem of every bad event, by index in `events`' }),
  ),
});

type CompiledCheck = Pick<typeof checkEvent, 'Errors'>;

/** TypeBox errors → one entry per offending field (an unknown field is named, not reported as "schema is false"). */
function fieldErrors(check: CompiledCheck, value: unknown): FieldError[] {
  const out: FieldError[] = [];
  for (const e of check.Errors(value)) {
    if (e.keyword === 'boolean' && e.schemaPath.endsWith('/additionalProperties')) continue;
    const params = e.params as { additionalProperties?: string[]; requiredProperties?: string[] };
    if (e.keyword === 'additionalProperties' && params.additionalProperties) {
      for (const name of params.additionalProperties) out.push({ path: `${e.instancePath}/${name}`, message: 'is not a known field' });
    } else if (e.keyword === 'required' && params.requiredProperties) {
      for (const name of params.requiredProperties) out.push({ path: `${e.instancePath}/${name}`, message: 'is required' });
    } else {
      out.push({ path: e.instancePath || '/', message: e.message });
    }
  }
  return out;
}

/** Route validator of the body: the envelope, without coercion; 400 names the field. */
const envelopeValidator: FastifySchemaCompiler<unknown> = () => (data: unknown) => {
  if (checkEnvelope.Check(data)) return { value: data };
  const [first] = fieldErrors(checkEnvelope, data);
  const where = first && first.path !== '/' ? first.path : '';
  return {
    error: Object.assign(new Error(`body${where} ${first?.message ?? 'is invalid'}`), { statusCode: 400, code: 'FST_ERR_VALIDATION' }),
  };
};

/**
 * `POST /api/v1/events`: other tools send lifecycle events in the contract's schema. They are
 * appended to the ingest stream, which the capture loop stores with the queues' events, so dedup
 * and metrics are the same as for captured events. 202 means every event is in Redis.
 */
const ingestEvents: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/events',
    {
      bodyLimit: BODY_LIMIT,
      validatorCompiler: envelopeValidator,
      schema: {
        tags: ['events'],
        summary: 'Ingest a batch of job lifecycle events (all or none)',
        description:
          `Each event is appended to the collector's ingest stream and stored in job_events. A 400 INVALID_EVENTS lists every invalid event and nothing is written. ` +
          'A 413 TOO_MANY_QUEUES refuses a batch naming more distinct `queue` values than COLLECTOR_MAX_QUEUES_PER_REQUEST (default 32); nothing is written. ' +
          'On 503 some events may already be stored; sending the batch again is safe (rows are deduplicated by ts, queue, job_id, event).',
        body: EventsBody,
        response: {
          202: Type.Object({ accepted: Type.Integer({ description: 'events appended to the ingest stream' }) }),
          400: EventsErrorSchema,
          413: EventsErrorSchema,
          503: EventsErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const items: readonly unknown[] = request.body.events;
      const errors = items.flatMap((item, index) => {
        const problems = checkEvent.Check(item) ? [] : fieldErrors(checkEvent, item);
        return problems.map((p) => ({ index, ...p }));
      });
      if (errors.length > 0) {
        const bad = new Set(errors.map((e) => e.index)).size;
        return reply
          .code(400)
          .send({ statusCode: 400, code: 'INVALID_EVENTS', message: `${bad} invalid event${bad === 1 ? '' : 's'}`, errors });
      }
      const valid = items as JobEvent[];
      // Every distinct queue becomes a series each timeseries and compare read must query: bound them per request.
      const { maxQueuesPerRequest } = app.config.collector.limits;
      const queues = new Set(valid.map((e) => e.queue)).size;
      if (queues > maxQueuesPerRequest) {
        return reply.code(413).send({
          statusCode: 413,
          code: 'TOO_MANY_QUEUES',
          message: `body/events names ${queues} distinct queues; at most ${maxQueuesPerRequest} per request (COLLECTOR_MAX_QUEUES_PER_REQUEST=${maxQueuesPerRequest})`,
        });
      }

      // The shared connection queues commands while Redis is away; answer now instead of hanging.
      if (app.redis.status !== 'ready') throw new DependencyUnavailableError('redis', `connection is ${app.redis.status}`);
      const pipeline = app.redis.pipeline();
      const key = ingestStream(app.config.namespace);
      for (let i = 0; i < valid.length; i += EVENTS_PER_ENTRY)
        pipeline.xadd(key, '*', ...encodeEntry(valid.slice(i, i + EVENTS_PER_ENTRY)));
      try {
        const results = (await withTimeout(pipeline.exec(), WRITE_TIMEOUT_MS)) ?? [];
        const failed = results.find(([err]) => err);
        if (failed) throw failed[0];
      } catch (err) {
        throw new DependencyUnavailableError('redis', err instanceof Error ? err.message : String(err));
      }
      return reply.code(202).send({ accepted: valid.length });
    },
  );
};
export default ingestEvents;
