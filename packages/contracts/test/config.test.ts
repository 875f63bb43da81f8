import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, parseConfig } from '../src/config.js';

type Env = Record<string, string | undefined>;

/** Run parseConfig and return the ConfigError it throws (fails the test if it throws nothing or something else). */
function configError(env: Env): ConfigError {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

describe('parseConfig defaults', () => {
  const config = parseConfig({});

  it('uses the documented ports, hosts and endpoints', () => {
    expect(config.producer.port).toBe(3000);
    expect(config.collector.port).toBe(3001);
    expect(config.producer.host).toBe('127.0.0.1');
    expect(config.collector.host).toBe('127.0.0.1');
    expect(config.namespace).toBe('qs');
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.questdb.http).toBe('127.0.0.1:9000');
    expect(config.questdb.pg).toEqual({ host: '127.0.0.1', port: 8812, user: 'admin', password: 'quest', database: 'qdb' });
    expect(config.questdb.ilpConf).toMatch(/^http::addr=127\.0\.0\.1:9000;/);
    expect(config.events).toEqual({ maxLen: 500_000 });
    expect(config.collector).toMatchObject({ batchSize: 20_000, flushIntervalMs: 1000, leaseMs: 5000, attach: [], nice: 10 });
    expect(config.worker.queues).toEqual(['payment', 'notification', 'webhook']);
    expect(config.logLevel).toBe('info');
  });

  it('seeds the queue profiles (concurrency payment 5, notification 10, webhook 8)', () => {
    expect(config.queues.payment.concurrency).toBe(5);
    expect(config.queues.notification.concurrency).toBe(10);
    expect(config.queues.webhook.concurrency).toBe(8);
  });

  it('seeds the SLO targets', () => {
    expect(config.queues.payment.slo).toEqual({ p95Ms: 500, p99Ms: 1000, maxErrorRate: 0.05 });
    expect(config.queues.notification.slo).toEqual({ p95Ms: 300, p99Ms: 500, maxErrorRate: 0.1 });
    expect(config.queues.webhook.slo).toEqual({ p95Ms: 1000, p99Ms: 2000, maxErrorRate: 0.05 });
  });

  it('seeds attempts, backoff, latency and failure rates', () => {
    expect(config.queues.payment).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential', delayMs: 50 },
      latency: { kind: 'lognormal', median: 40, p99: 200 },
      failureRate: 0.02,
    });
    expect(config.queues.notification).toMatchObject({ attempts: 5, backoff: { type: 'fixed', delayMs: 20 }, failureRate: 0.05 });
    expect(config.queues.webhook).toMatchObject({ attempts: 4, backoff: { type: 'exponential', delayMs: 100 }, failureRate: 0.08 });
  });

  it('treats an empty value as unset', () => {
    expect(parseConfig({ PRODUCER_PORT: '', QUEUE_PAYMENT_LATENCY: '' })).toEqual(config);
  });

  it('ignores unrelated environment variables', () => {
    expect(parseConfig({ PATH: '/usr/bin:/bin', HOME: '/root', NODE_ENV: 'test', TERM: 'xterm' })).toEqual(config);
  });

  it('returns a fresh config each time: mutating one does not change the seeds', () => {
    const a = parseConfig({});
    a.queues.payment.backoff.delayMs = 999;
    (a.queues.payment.latency as { median: number }).median = 999;
    const b = parseConfig({});
    expect(b.queues.payment.backoff.delayMs).toBe(50);
    expect(b.queues.payment.latency).toEqual({ kind: 'lognormal', median: 40, p99: 200 });
  });
});

describe('parseConfig overrides', () => {
  it('overrides one queue only', () => {
    const config = parseConfig({ QUEUE_PAYMENT_CONCURRENCY: '7' });
    expect(config.queues.payment.concurrency).toBe(7);
    expect(config.queues.notification.concurrency).toBe(10);
    expect(config.queues.webhook.concurrency).toBe(8);
  });

  it('parses uniform, lognormal and fixed latency specs', () => {
    const config = parseConfig({
      QUEUE_WEBHOOK_LATENCY: 'uniform:10:80',
      QUEUE_PAYMENT_LATENCY: 'lognormal:30:250',
      QUEUE_NOTIFICATION_LATENCY: 'fixed:5',
    });
    expect(config.queues.webhook.latency).toEqual({ kind: 'uniform', min: 10, max: 80 });
    expect(config.queues.payment.latency).toEqual({ kind: 'lognormal', median: 30, p99: 250 });
    expect(config.queues.notification.latency).toEqual({ kind: 'fixed', ms: 5 });
  });

  it('parses a backoff spec', () => {
    const config = parseConfig({ QUEUE_NOTIFICATION_BACKOFF: 'exponential:200' });
    expect(config.queues.notification.backoff).toEqual({ type: 'exponential', delayMs: 200 });
    expect(config.queues.payment.backoff).toEqual({ type: 'exponential', delayMs: 50 });
  });

  it('coerces numbers, rates and SLOs', () => {
    const config = parseConfig({
      PRODUCER_PORT: '4000',
      COLLECTOR_PORT: '4001',
      QUEUE_WEBHOOK_FAILURE_RATE: '0.25',
      QUEUE_WEBHOOK_SLO_P95_MS: '750',
      QUEUE_WEBHOOK_SLO_ERROR_RATE: '0',
      EVENTS_MAX_LEN: '5000',
      COLLECTOR_ATTACH: 'bull:emails, {app:x}:jobs:*',
      WORKER_QUEUES: 'webhook, payment',
      QUESTDB_PG: 'db.local:5432',
    });
    expect(config.producer.port).toBe(4000);
    expect(config.collector.port).toBe(4001);
    expect(config.queues.webhook.failureRate).toBe(0.25);
    expect(config.queues.webhook.slo).toEqual({ p95Ms: 750, p99Ms: 2000, maxErrorRate: 0 });
    expect(config.events.maxLen).toBe(5000);
    expect(config.collector.attach).toEqual([
      { prefix: 'bull', queue: 'emails' },
      { prefix: '{app:x}:jobs', queue: '*' },
    ]);
    expect(config.worker.queues).toEqual(['webhook', 'payment']);
    expect(config.questdb.pg).toMatchObject({ host: 'db.local', port: 5432 });
  });
});

describe('parseConfig errors name the variable', () => {
  it('PRODUCER_PORT=abc', () => {
    const err = configError({ PRODUCER_PORT: 'abc' });
    expect(err.variable).toBe('PRODUCER_PORT');
    expect(err.message).toContain('PRODUCER_PORT');
    expect(err.message).toContain('abc');
  });

  it.each([
    ['PRODUCER_PORT', '70000'],
    ['COLLECTOR_PORT', '0'],
    ['QUEUE_PAYMENT_CONCURRENCY', '0'],
    ['EVENTS_MAX_LEN', '-1'],
    ['COLLECTOR_ATTACH', 'no-colon'],
    ['COLLECTOR_ATTACH', 'bull:em*ails'],
    ['COLLECTOR_LEASE_MS', '10'],
    ['COLLECTOR_NICE', '20'],
    ['LOG_LEVEL', 'verbose'],
    ['QS_NAMESPACE', 'has space'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['QUESTDB_HTTP', 'no-port'],
    ['WORKER_LOCK_MS', '10'],
  ])('%s=%s', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
  });

  // A value that is not literally a number of the right kind is a mistake: it must not be
  // silently truncated (2.5 → 2) or coerced from a boolean ('true' → 1, a 100 % failure rate).
  it.each([
    ['QUEUE_PAYMENT_CONCURRENCY', '2.5'],
    ['PRODUCER_PORT', '3000.7'],
    ['QUEUE_PAYMENT_FAILURE_RATE', 'true'],
    ['EVENTS_MAX_LEN', 'true'],
  ])('%s=%s is rejected, not coerced', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.variable).toBe(variable);
  });

  it('QUEUE_PAYMENT_FAILURE_RATE=1.5 (a rate is 0..1)', () => {
    const err = configError({ QUEUE_PAYMENT_FAILURE_RATE: '1.5' });
    expect(err.variable).toBe('QUEUE_PAYMENT_FAILURE_RATE');
    expect(err.message).toContain('QUEUE_PAYMENT_FAILURE_RATE');
  });

  it.each([
    ['QUEUE_WEBHOOK_LATENCY', 'uniform:80:10'],
    ['QUEUE_WEBHOOK_LATENCY', 'gaussian:10'],
    ['QUEUE_PAYMENT_LATENCY', 'fixed:-1'],
    ['QUEUE_PAYMENT_LATENCY', 'fixed:abc'],
    ['QUEUE_PAYMENT_LATENCY', 'fixed:1:2'],
    ['QUEUE_NOTIFICATION_LATENCY', 'lognormal:0:10'],
    ['QUEUE_NOTIFICATION_LATENCY', 'lognormal:50:10'],
    ['QUEUE_NOTIFICATION_LATENCY', '50'],
  ])('bad latency %s=%s', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.message).toContain(value);
  });

  // A spec with a missing number ("fixed:", "uniform::80") is a typo, not a request for 0 ms.
  it.each([
    ['QUEUE_PAYMENT_LATENCY', 'fixed:'],
    ['QUEUE_PAYMENT_LATENCY', 'fixed: '],
    ['QUEUE_WEBHOOK_LATENCY', 'uniform::80'],
  ])('latency with an empty number %s=%j', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.variable).toBe(variable);
  });

  it.each([
    ['QUEUE_NOTIFICATION_BACKOFF', 'linear:10'],
    ['QUEUE_NOTIFICATION_BACKOFF', 'exponential'],
    ['QUEUE_PAYMENT_BACKOFF', 'fixed:-5'],
  ])('bad backoff %s=%s', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
  });

  it.each([
    'QS_NAMESPCE',
    'QUEUE_PAYMENT_CONCURENCY',
    'QUEUE_BILLING_CONCURRENCY',
    'PRODUCER_PROT',
    'COLLECTOR_BATCHSIZE',
    'EVENTS_MAXLEN',
    'WORKER_QUEUE',
    'QUESTDB_PG_PASS',
  ])('unknown variable %s is rejected as unknown', (variable) => {
    const err = configError({ [variable]: '1' });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.message).toMatch(/unknown/i);
  });

  it('WORKER_QUEUES=payment,bogus', () => {
    const err = configError({ WORKER_QUEUES: 'payment,bogus' });
    expect(err.variable).toBe('WORKER_QUEUES');
    expect(err.message).toContain('WORKER_QUEUES');
    expect(err.message).toContain('bogus');
  });

  it('every name in CONFIG_VARIABLES is accepted (no false "unknown")', () => {
    const env: Env = Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, '']));
    expect(() => parseConfig(env)).not.toThrow();
  });
});

describe('.env.example', () => {
  const path = fileURLToPath(new URL('../../../.env.example', import.meta.url));

  it('documents every variable in CONFIG_VARIABLES as NAME= or # NAME= at a line start', () => {
    expect(existsSync(path), `missing file ${path} (it must document every variable in CONFIG_VARIABLES)`).toBe(true);
    const text = readFileSync(path, 'utf8');
    const missing = CONFIG_VARIABLES.filter((name) => !new RegExp(`^(#\\s*)?${name}=`, 'm').test(text));
    expect(missing, `variables missing from ${path}`).toEqual([]);
  });

  it('shows the defaults: parsing its uncommented assignments gives the same config as an empty env', () => {
    expect(existsSync(path), `missing file ${path}`).toBe(true);
    const env: Env = {};
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      if (m) env[m[1]!] = m[2]!;
    }
    expect(Object.keys(env).length).toBeGreaterThan(0);
    expect(parseConfig(env)).toEqual(parseConfig({}));
  });
});
