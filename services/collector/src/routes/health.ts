import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';

async function check(probe: () => Promise<unknown>): Promise<string> {
  try {
    await probe();
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** `GET /healthz`: the process is up. `GET /readyz`: Redis answers PING and QuestDB answers `SELECT 1`; 503 naming the one that does not. */
const health: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [redis, questdb] = await Promise.all([check(() => app.redis.ping()), check(() => sql`SELECT 1`.execute(app.db))]);
    const ready = redis === 'ok' && questdb === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', redis, questdb });
  });
};
export default health;
