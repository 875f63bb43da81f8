import { DependencyUnavailableError, withTimeout } from '@queuescope/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';

/** Longest each readiness probe may take; a slower dependency counts as not ready, ms. */
const PROBE_TIMEOUT_MS = 2000;

/** 'ok', or why `dependency` is not: a reason in fixed words (never the driver's text, which names hosts). */
async function check(dependency: string, probe: () => Promise<unknown>): Promise<string> {
  try {
    await withTimeout(probe(), PROBE_TIMEOUT_MS);
    return 'ok';
  } catch (err) {
    return (
      err instanceof DependencyUnavailableError
        ? err
        : new DependencyUnavailableError(dependency, err instanceof Error ? err.message : String(err))
    ).reason;
  }
}

/**
 * `GET /healthz`: the process is up (also while Redis or QuestDB is away: the collector waits for
 * them). `GET /readyz`: Redis answers PING and QuestDB answers `SELECT 1` with the schema migrated;
 * 503 naming the one that does not and why (`schema not migrated yet`, `connection refused`, …).
 * Each probe answers within 2 s: a Redis that is away fails at once instead of queueing the PING.
 */
const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [redis, questdb] = await Promise.all([
      check('redis', async () => {
        // Commands sent while Redis is away wait in the offline queue: answer at once instead.
        if (app.redis.status !== 'ready') throw new DependencyUnavailableError('redis', `connection is ${app.redis.status}`);
        await app.redis.ping();
      }),
      check('questdb', () => sql`SELECT 1`.execute(app.db)),
    ]);
    const ready = redis === 'ok' && questdb === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', redis, questdb });
  });
};
export default health;
