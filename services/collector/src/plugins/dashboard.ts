import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Where `npm run build:web` puts the dashboard (`npm run stack` builds it when missing or stale). */
const DIST = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

/** Vite's content-hashed output: a changed file gets a new name, so a cached copy never goes stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else (index.html, favicon): revalidated on every load (ETag/Last-Modified), so a rebuild shows at once. */
const REVALIDATE = 'no-cache';

/** What `/` answers while web/dist has no index.html; reloads itself every 5 s until it has. */
const NOT_BUILT =
  '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>queuescope</title>' +
  '<p>The dashboard is not built yet: <code>npm run stack</code> builds it on start, or run <code>npm run build:web</code>. ' +
  'This page reloads itself. The API is at <a href="/api/docs">/api/docs</a>.</p>';

/**
 * Serves the built dashboard at `/`. Files are looked up per request, not listed at start, so a
 * dashboard rebuilt while the collector runs is served without a restart (old hashed assets
 * disappear, new ones appear). `/` answers 503 with a self-reloading page while nothing is built.
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(fastifyStatic, {
      root: DIST,
      prefix: '/',
      wildcard: true,
      index: false,
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader('cache-control', path.includes('/assets/') ? IMMUTABLE : REVALIDATE);
      },
    });
    app.get('/', { schema: { hide: true } }, async (_request, reply) => {
      if (existsSync(`${DIST}index.html`)) return reply.sendFile('index.html');
      return reply
        .code(503)
        .header('retry-after', '5')
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(NOT_BUILT);
    });
    // Browsers ask for /favicon.ico on pages without an icon link (and some always do): the SVG icon.
    app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
      existsSync(`${DIST}favicon.svg`) ? reply.sendFile('favicon.svg') : reply.callNotFound(),
    );
  },
  { name: 'dashboard' },
);
