import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import Ajv from 'ajv';

/**
 * Two validators: query strings and path parameters are text, so numbers there are coerced
 * (`?limit=20`); bodies are JSON and are never coerced, so `"attempt": "1"` is a wrong type and
 * gets a 400 naming the field (fastify docs, "Validation and Serialization": one Ajv per part).
 */
export default fp(
  async (app: FastifyInstance) => {
    const common = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false } as const;
    const coercing = new Ajv({ ...common, coerceTypes: 'array' });
    const strictBody = new Ajv({ ...common, coerceTypes: false });
    app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strictBody : coercing).compile(schema));
  },
  { name: 'validation' },
);
