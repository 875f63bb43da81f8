import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pkg from '../../package.json' with { type: 'json' };

/** Tags of the collector's API, in the order the docs list them. */
const TAGS = [
  { name: 'runs', description: 'Load-test runs and their summaries' },
  { name: 'timeseries', description: 'Bucketed series for charts (columnar JSON)' },
  { name: 'compare', description: 'Two runs side by side' },
  { name: 'diagnosis', description: 'Why a run missed its SLO' },
  { name: 'concurrency', description: 'Run-time concurrency of the queues (set without restarting the workers)' },
  { name: 'events', description: 'Event ingest for other tools' },
  { name: 'ingest', description: 'Stream backlog and lag' },
  { name: 'health', description: 'Liveness and readiness' },
  { name: 'metrics', description: 'Prometheus exposition' },
];

/**
 * OpenAPI 3 document built from the route schemas, served at `/api/docs/json`, with Swagger UI at
 * `/api/docs`. Registered before any route: @fastify/swagger collects routes in an onRoute hook.
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'queuescope collector',
          description: 'Queue observability under load: runs, latency, retries and lag from QuestDB.',
          version: pkg.version,
        },
        tags: TAGS,
      },
      // Shared schemas keep their `$id` as component name (`JobEvent`, `LoadSecond`) instead of `def-N`.
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    });
    await app.register(swaggerUi, { routePrefix: '/api/docs' });
  },
  { name: 'swagger' },
);
