import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../../test/support/env.js';
import { build } from '../helper.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('OpenAPI docs', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await build(testConfig().config);
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves an OpenAPI 3 document at /api/docs/json covering the API', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: 'queuescope collector', version: pkg.version });
    expect(doc.tags.map((t: { name: string }) => t.name)).toEqual([
      'runs',
      'timeseries',
      'compare',
      'diagnosis',
      'concurrency',
      'events',
      'ingest',
      'health',
      'metrics',
    ]);
    for (const path of [
      '/api/v1/runs',
      '/api/v1/runs/{id}/summary',
      '/api/v1/events',
      '/api/v1/ingest/status',
      '/api/v1/queues/{queue}/concurrency',
      '/api/v1/runs/{id}/concurrency-changes',
      '/metrics',
    ]) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    // The events body documents the contract's JobEvent, not an opaque array.
    const body = doc.paths['/api/v1/events'].post.requestBody.content['application/json'].schema;
    expect(body.properties.events).toMatchObject({ type: 'array', maxItems: 5000, items: { $ref: '#/components/schemas/JobEvent' } });
    expect(doc.components.schemas.JobEvent.properties.attempt).toMatchObject({ type: 'integer' });
    expect(doc.components.schemas.JobEvent.required).toEqual(expect.arrayContaining(['ts', 'queue', 'event', 'job_id', 'attempt']));
  });

  it('serves Swagger UI at /api/docs', async () => {
    let res = await app.inject({ method: 'GET', url: '/api/docs' });
    if (res.statusCode >= 300 && res.statusCode < 400) {
      res = await app.inject({ method: 'GET', url: new URL(String(res.headers.location), 'http://x/api/docs').pathname });
    }
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/swagger/i);
  });
});
