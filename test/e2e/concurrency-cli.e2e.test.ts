/**
 * Issue 12: `npm run tune` against a real collector (with QS_API_TOKEN) and a real worker process:
 * it shows the setting and the live workers, sets a new value and prints old → new and the worker
 * that applied it, exits 0; a value over the maximum shows the collector's 400 message, a wrong
 * token the 401, an unknown queue, a bad number and an unreachable collector a clear message, all
 * exiting 2.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { concurrencyKeys } from '@queuescope/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../support/env.js';
import { freePort, spawnScript, spawnService, waitFor, waitForHttp, type ServiceProcess } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = randomBytes(24).toString('base64url');

describe('npm run tune', () => {
  let env: Record<string, string>;
  let collectorUrl: string;
  let procs: ServiceProcess[] = [];
  let redis: Redis;
  let namespace: string;

  /** The CLI as a real process; resolves with its exit code and everything it printed. */
  const tune = async (args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | string; out: string }> => {
    const proc = spawnScript('scripts/tune.ts', { ...env, ...extraEnv }, args);
    const code = await proc.exited;
    return { code, out: proc.output() };
  };

  beforeAll(async () => {
    const port = await freePort();
    const t = testConfig({ COLLECTOR_PORT: String(port), QS_API_TOKEN: TOKEN, WORKER_QUEUES: 'webhook' });
    env = t.env;
    namespace = t.config.namespace;
    collectorUrl = `http://127.0.0.1:${port}`;
    const collector = spawnService('collector', env);
    procs.push(collector);
    await waitForHttp(`${collectorUrl}/readyz`, collector);
    procs.push(spawnService('worker', env));
    redis = new Redis(t.config.redisUrl);
    await waitFor('the worker to report', async () => (await redis.hlen(concurrencyKeys(namespace, 'webhook').applied)) === 1, 30_000);
  });
  afterAll(async () => {
    redis?.disconnect();
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    procs = [];
  });

  it('`npm run tune -- --queue webhook` shows the setting and the live worker, exit 0', async () => {
    const child = spawn('npm', ['run', '--silent', 'tune', '--', '--queue', 'webhook', '--collector-url', collectorUrl], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(out).toContain('webhook: concurrency 8 per worker process (profile default; max 200)');
    expect(out).toMatch(new RegExp(`:${procs[1]!.child.pid}\\s+concurrency\\s+8\\s+cpu \\d+\\.\\d\\d of \\d+ cores`));
    expect(code, out).toBe(0);
  });

  it('--concurrency 12 prints old → new and the worker that applied it, exit 0; the same again changes nothing', async () => {
    const set = await tune(['--queue', 'webhook', '--concurrency', '12', '--reason', 'e2e', '--collector-url', collectorUrl]);
    expect(set.out).toContain('webhook: concurrency 8 → 12 per worker process');
    expect(set.out).toMatch(/applied by 1 worker process within \d+\.\d s:/);
    expect(set.out).toMatch(new RegExp(`:${procs[1]!.child.pid}\\s+concurrency\\s+12\\s`));
    expect(set.code, set.out).toBe(0);
    expect(await redis.get(concurrencyKeys(namespace, 'webhook').setting)).toBe('12');

    const again = await tune(['--queue', 'webhook', '--concurrency', '12', '--collector-url', collectorUrl]);
    expect(again.out).toContain('webhook: concurrency is already 12 (nothing changed)');
    expect(again.code, again.out).toBe(0);
  });

  it.each([
    [
      'a value over the maximum: the collector’s 400',
      ['--queue', 'webhook', '--concurrency', '201'],
      {},
      'tune: PUT /api/v1/queues/webhook/concurrency → 400: body/concurrency must be at most 200 (WORKER_MAX_CONCURRENCY), got 201',
    ],
    [
      'a wrong token: the 401 with a hint',
      ['--queue', 'webhook', '--concurrency', '3'],
      { QS_API_TOKEN: `${TOKEN}x` },
      'tune: PUT /api/v1/queues/webhook/concurrency → 401: invalid token (set QS_API_TOKEN to the collector’s token)',
    ],
    ['zero', ['--queue', 'webhook', '--concurrency', '0'], {}, 'must be a whole number of at least 1'],
    ['not a number', ['--queue', 'webhook', '--concurrency', '2.5'], {}, 'must be a whole number of at least 1'],
    ['an unknown queue', ['--queue', 'nope'], {}, "argument 'nope' is invalid"],
    ['no queue', [], {}, "required option '-q, --queue <name>' not specified"],
  ] as const)('%s: exit 2 with a clear message, nothing changed', async (_what, args, extraEnv, message) => {
    const { code, out } = await tune([...args, '--collector-url', collectorUrl], extraEnv);
    expect(out).toContain(message);
    expect(code, out).toBe(2);
    expect(await redis.get(concurrencyKeys(namespace, 'webhook').setting)).toBe('12');
  });

  it('an unreachable collector: exit 2 naming it', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, out } = await tune(['--queue', 'webhook', '--collector-url', url]);
    expect(out).toContain(`tune: collector at ${url} is not reachable`);
    expect(code, out).toBe(2);
  });
});
