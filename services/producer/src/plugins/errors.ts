import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

/**
 * The one error handler (STYLE R6): 4xx carry their message (it names the field or the problem),
 * 503 carries the reason, anything else is a generic 500. No stack or internals reach clients.
 */
export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const status = err instanceof HttpError ? err.statusCode : (err.statusCode ?? 500);
      if (status >= 500 && status !== 503) {
        request.log.error({ err, reqId: request.id, url: request.url }, 'request failed');
        return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
      }
      if (status === 503) request.log.warn({ err: err.message, reqId: request.id }, 'dependency unavailable');
      const code = err instanceof HttpError ? err.code : (err.code ?? 'BAD_REQUEST');
      const message = err.validation ? `${err.validationContext ?? 'body'}${err.message.replace(/^(body|params|headers|querystring)/, '')}` : err.message;
      return reply.code(status).send({ statusCode: status, code, message });
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
    );
  },
  { name: 'errors' },
);
