/**
 * `npm run bench:pipeline`: jobs/s through the whole pipeline (HTTP → BullMQ → 5 worker processes
 * → streams → collector → QuestDB) and the freshness lag of SQL (now − newest `ts` visible, sampled
 * every 100 ms while the load runs). Handlers do no simulated work (LATENCY fixed:0, no failures)
 * so the figure is the pipeline's own capacity. Prints raw numbers; never gates anything.
 *
 * Options: --seconds 20 --connections 100 --workers 5
 */
import { randomUUID } from 'node:crypto';
import { parseConfig } from '@queuescope/contracts';
import autocannon from 'autocannon';
import { Command } from 'commander';
import pg from 'pg';
import { freePort, spawnService, waitFor, waitForHttp, type ServiceProcess } from '../test/support/processes.js';

const opts = new Command('bench:pipeline')
  .option('--seconds <n>', 'load duration', Number, 20)
  .option('--connections <n>', 'concurrent HTTP connections', Number, 100)
  .option('--workers <n>', 'worker processes', Number, 5)
  .parse()
  .opts<{ seconds: number; connections: number; workers: number }>();

const runId = `bench-${randomUUID()}`;
const [producerPort, collectorPort] = [await freePort(), await freePort()];
const env: Record<string, string> = {
  ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>),
  QS_NAMESPACE: `bench-${randomUUID().slice(0, 8)}`,
  PRODUCER_PORT: String(producerPort),
  COLLECTOR_PORT: String(collectorPort),
  LOG_LEVEL: 'warn',
  ...Object.fromEntries(['PAYMENT', 'NOTIFICATION', 'WEBHOOK'].flatMap((q) => [[`QUEUE_${q}_LATENCY`, 'fixed:0'], [`QUEUE_${q}_FAILURE_RATE`, '0']])),
};
const config = parseConfig(env);
const procs: ServiceProcess[] = [spawnService('collector', env)];
await waitForHttp(`http://127.0.0.1:${collectorPort}/readyz`, procs[0]);
for (let i = 0; i < opts.workers; i++) procs.push(spawnService('worker', env));
const producer = spawnService('producer', env);
procs.push(producer);
await waitForHttp(`http://127.0.0.1:${producerPort}/readyz`, producer);
await new Promise((r) => setTimeout(r, 2000));

const db = new pg.Client({ ...config.questdb.pg, types: { getTypeParser: (oid: number, f?: 'text' | 'binary') => (oid === 20 ? Number : pg.types.getTypeParser(oid, f as 'text')) } as pg.CustomTypesConfig });
await db.connect();
const lags: number[] = [];
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    const { rows } = await db.query<{ newest: Date | null }>(`SELECT max(ts) AS newest FROM job_events WHERE run_id = $1`, [runId]);
    const newest = rows[0]?.newest;
    // pg parses TIMESTAMP in local time; QuestDB sends UTC.
    if (newest) lags.push(Date.now() - (newest.getTime() - newest.getTimezoneOffset() * 60_000));
    await new Promise((r) => setTimeout(r, 100));
  }
})();

const bodies = [
  { path: '/api/v1/payments', body: { amount: 10, currency: 'EUR', customerId: 'c' } },
  { path: '/api/v1/notifications', body: { channel: 'email', to: 'a@b.c', message: 'hi' } },
  { path: '/api/v1/webhooks', body: { url: 'https://example.com/h', event: 'e' } },
];
console.log(`load: ${opts.connections} connections for ${opts.seconds} s, ${opts.workers} worker processes, run ${runId}`);
const result = await autocannon({
  url: `http://127.0.0.1:${producerPort}`,
  connections: opts.connections,
  duration: opts.seconds,
  requests: bodies.map((b) => ({ method: 'POST', path: b.path, headers: { 'content-type': 'application/json', 'x-run-id': runId }, body: JSON.stringify(b.body) })),
});
const accepted = result['2xx'];
await waitFor('all accepted jobs completed in QuestDB', async () => {
  const { rows } = await db.query<{ n: number }>(`SELECT count() AS n FROM job_events WHERE run_id = $1 AND event = 'completed'`, [runId]);
  return rows[0]!.n >= accepted;
}, 300_000, 500);
sampling = false;
await sampler;
const { rows } = await db.query<{ n: number; first: Date; last: Date }>(
  `SELECT count() AS n, min(ts) AS first, max(ts) AS last FROM job_events WHERE run_id = $1 AND event IN ('added', 'completed')`,
  [runId],
);
const spanS = (rows[0]!.last.getTime() - rows[0]!.first.getTime()) / 1000;
lags.sort((a, b) => a - b);
const pct = (p: number): number => lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] ?? NaN;
console.log(
  JSON.stringify(
    {
      accepted,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      httpReqPerSec: result.requests.average,
      httpP99Ms: result.latency.p99,
      jobsPerSecEndToEnd: accepted / spanS,
      firstAddedToLastCompletedS: spanS,
      freshnessLagMs: { samples: lags.length, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: lags.at(-1) },
    },
    null,
    2,
  ),
);
await db.end();
await Promise.all(procs.map((p) => p.kill('SIGTERM')));
process.exit(0);
