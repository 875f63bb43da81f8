import type { QueueName } from '@queuescope/contracts';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TSchema } from 'typebox';
import { Accepted, EnqueueHeaders, NotificationBody, PaymentBody, WebhookBody } from '../schemas.js';

/** The demo endpoints the load scenarios hit: one per queue, each with its own body schema and job name. */
const DEMO_ROUTES: readonly { path: string; queue: QueueName; jobName: string; body: TSchema }[] = [
  { path: '/api/v1/payments', queue: 'payment', jobName: 'charge', body: PaymentBody },
  { path: '/api/v1/notifications', queue: 'notification', jobName: 'send', body: NotificationBody },
  { path: '/api/v1/webhooks', queue: 'webhook', jobName: 'deliver', body: WebhookBody },
];

const demo: FastifyPluginAsyncTypebox = async (app) => {
  for (const route of DEMO_ROUTES) {
    app.post(route.path, { schema: { headers: EnqueueHeaders, body: route.body, response: { 202: Accepted } } }, async (request, reply) => {
      const headers = request.headers as EnqueueHeaders;
      const result = await app.enqueue({
        queue: route.queue,
        name: route.jobName,
        input: request.body,
        runId: headers['x-run-id'] ?? '',
        idempotencyKey: headers['idempotency-key'],
      });
      return reply.code(202).send({ ...result, queue: route.queue });
    });
  }
};
export default demo;
