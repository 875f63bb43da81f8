import { QUEUE_NAMES, isQueueName } from '@queuescope/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { UnknownQueueError } from '../errors.js';
import { Accepted, EnqueueHeaders, GenericJobBody } from '../schemas.js';

/** `POST /api/v1/queues/:queue/jobs`: enqueue any job on a known queue; 202 once job and `added` event are durable. */
const jobs: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/v1/queues/:queue/jobs',
    {
      schema: {
        params: Type.Object({ queue: Type.String({ maxLength: 128 }) }),
        headers: EnqueueHeaders,
        body: GenericJobBody,
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      const { queue } = request.params;
      if (!isQueueName(queue)) throw new UnknownQueueError(queue, QUEUE_NAMES);
      const result = await app.enqueue({
        queue,
        name: request.body.name,
        input: request.body.data ?? {},
        runId: request.headers['x-run-id'] ?? '',
        idempotencyKey: request.headers['idempotency-key'],
        delayMs: request.body.delayMs,
      });
      return reply.code(202).send({ ...result, queue });
    },
  );
};
export default jobs;
