import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Where `npm run build:web` puts the dashboard. */
const DIST = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

/** Serves the built dashboard at `/`; says how to build it when it is missing. */
export default fp(
  async (app: FastifyInstance) => {
    if (existsSync(`${DIST}index.html`)) {
      await app.register(fastifyStatic, { root: DIST, prefix: '/', wildcard: false, index: 'index.html' });
      return;
    }
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html').send('<!doctype html><title>queuescope</title><p>The dashboard is not built yet: run <code>npm run build:web</code> (npm run demo does it for you). The API is at <a href="/api/docs">/api/docs</a>.</p>'),
    );
  },
  { name: 'dashboard' },
);
