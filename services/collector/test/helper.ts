import type { Config } from '@queuescope/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import app from '../src/app.js';

/** The collector app on real Redis and QuestDB, consuming the config's namespace, without listening. */
export async function build(config: Config): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  await server.register(fp(app), { config });
  await server.ready();
  return server;
}
