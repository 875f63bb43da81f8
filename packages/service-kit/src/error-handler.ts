import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DependencyUnavailableError, HttpError, publicReason } from './http-errors.js';

export interface ErrorHandlerOptions {
  /**
   * Add `reqId` to the handler's log lines. Set it when requests log through the root logger (a
   * `childLoggerFactory` that returns it), since a per-request child logger already carries it.
   * @defaultValue false
   */
  logRequestId?: boolean;
}

/**
 * A schema-validation error's message, naming the part and the field: `body/amount must be number`.
 * Fastify names the part only in `validationContext`; its message starts with the part or not.
 */
export function validationMessage(err: FastifyError): string {
  return `${err.validationContext ?? 'body'}${err.message.replace(/^(body|params|headers|querystring)/, '')}`;
}

/**
 * The one error handler (STYLE R6): 4xx carry their message (it names the field or the problem),
 * 503 carries the dependency and a reason in fixed words (never the dependency's own error text:
 * it can hold hosts, users and SQL; that goes to the log), anything else is a generic 500. No stack
 * or internals reach clients. Also answers unknown routes with a 404 naming the method and path.
 */
export default fp<ErrorHandlerOptions>(
  async (app: FastifyInstance, opts: ErrorHandlerOptions) => {
    const ids = (id: string): { reqId?: string } => (opts.logRequestId ? { reqId: id } : {});
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const status = err instanceof HttpError ? err.statusCode : (err.statusCode ?? 500);
      if (status >= 500 && status !== 503) {
        request.log.error({ err, ...ids(request.id), url: request.url }, 'request failed');
        return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
      }
      const code = err instanceof HttpError ? err.code : (err.code ?? 'BAD_REQUEST');
      let message = err.validation ? validationMessage(err) : err.message;
      if (status === 503) {
        const detail = err instanceof DependencyUnavailableError ? err.detail : err.message;
        request.log.warn({ err: err.message, detail, ...ids(request.id) }, 'dependency unavailable');
        // DependencyUnavailableError already says it in fixed words; any other 503 is made to.
        if (!(err instanceof DependencyUnavailableError)) message = publicReason(err.message);
      }
      return reply.code(status).send({ statusCode: status, code, message });
    });
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
    );
  },
  { name: 'errors', fastify: '5.x' },
);
