import { HttpError } from '@queuescope/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Most levels of nesting a request body may have. A job's payload is free-form JSON, and BullMQ
 * serialises it with the recursive `JSON.stringify`: a few thousand levels (~8 KB of `[[[…`, well
 * under the body limit) overflow the stack there and would answer 500. Real payloads are a few
 * levels deep.
 */
export const MAX_BODY_DEPTH = 32;

/** True when `value` nests deeper than `max` levels (objects and arrays); iterative, stops early. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/** 400 naming the body when it nests deeper than {@link MAX_BODY_DEPTH}, before validation reads it. */
export default fp(
  async (app: FastifyInstance) => {
    app.addHook('preValidation', async (request) => {
      if (nestedDeeperThan(request.body, MAX_BODY_DEPTH)) {
        throw new HttpError(400, 'BODY_TOO_DEEP', `body is nested deeper than ${MAX_BODY_DEPTH} levels`);
      }
    });
  },
  { name: 'body-depth' },
);
