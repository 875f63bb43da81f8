import type { Config } from '@queuescope/contracts';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import app, { serverOptions } from '../src/app.js';

/** The producer app on real Redis, as main.ts builds it but without listening (fastify/demo test/helper.ts). */
export async function build(config: Config): Promise<FastifyInstance> {
  const server = Fastify({ ...serverOptions(config), logger: false });
  await server.register(fp(app), { config });
  await server.ready();
  return server;
}
