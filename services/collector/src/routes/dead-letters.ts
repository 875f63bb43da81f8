import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DeadLettersSchema, ErrorSchema, type DeadLettersPage } from '@queuescope/contracts';
import { DependencyUnavailableError } from '@queuescope/service-kit';
import { Type } from 'typebox';
import { MAX_LIST, listDeadLetters } from '../capture/dead-letters.js';
import { boundedRead } from '../samplers/bounded-read.js';

/** Entries listed when `limit` is not given. */
const DEFAULT_LIMIT = 100;
/** Longest the Redis reads of one listing may take before the answer is 503, ms. */
const READ_TIMEOUT_MS = 3000;

/**
 * `GET /api/v1/dead-letters?limit=`: what the capture could not store (capture/dead-letters.ts), with
 * the reason per entry: rows QuestDB refused and ingest entries that do not decode, of every stream
 * this collector captures. `npm run dead-letters -- --replay` puts them back once the cause is fixed.
 */
const deadLetters: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/v1/dead-letters',
    {
      schema: {
        tags: ['ingest'],
        summary: 'List dead-lettered events with the reason',
        description: `Replay them with \`npm run dead-letters -- --replay\`; counts are also in \`/api/v1/ingest/status\` and \`/metrics\` (queuescope_dead_letters).`,
        querystring: Type.Object(
          {
            limit: Type.Integer({
              minimum: 1,
              maximum: MAX_LIST,
              default: DEFAULT_LIMIT,
              description: `most entries to return (≤ ${MAX_LIST})`,
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: DeadLettersSchema, 400: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request): Promise<DeadLettersPage> => {
      const streams = app.capture.sources().map((s) => s.spec.streamKey);
      try {
        return await boundedRead(
          'dead letters',
          app.redis,
          () => listDeadLetters(app.redis, streams, request.query.limit),
          READ_TIMEOUT_MS,
        );
      } catch (err) {
        throw new DependencyUnavailableError('redis', err instanceof Error ? err.message : String(err), { cause: err });
      }
    },
  );
};
export default deadLetters;
