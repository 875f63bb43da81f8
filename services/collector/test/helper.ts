import type { Config } from '@queuescope/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { questdbClient } from '../../../test/support/questdb.js';
import app from '../src/app.js';

/** The collector app on real Redis and QuestDB, consuming the config's namespace, without listening. */
export async function build(config: Config): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  await server.register(fp(app), { config });
  await server.ready();
  return server;
}

/**
 * Within a `describe`: an in-process collector and a pg client on QuestDB for the tests in it,
 * opened before they run and closed after. Read them through the returned getters.
 */
export function useCollector(config: Config): { readonly app: FastifyInstance; readonly db: pg.Client } {
  let app: FastifyInstance | undefined;
  let db: pg.Client | undefined;
  beforeAll(async () => {
    app = await build(config);
    db = await questdbClient(config);
  });
  afterAll(async () => {
    await app?.close();
    await db?.end();
  });
  return {
    get app() {
      return app!;
    },
    get db() {
      return db!;
    },
  };
}
