/**
 * `npm run loadtest -- --scenario heavy [--engine auto|k6|builtin] [--name …] [--duration 30s] [--vus 500]`
 *
 * Creates a run on the collector (scenario, engine, worker count, queue concurrency, git commit),
 * drives k6 when it is on PATH (engine auto) or the built-in engine, shows live progress, stores
 * per-second client metrics, finishes the run, waits until every event of the run is stored,
 * prints the per-queue summary with SLO verdicts and the dashboard URL, and exits
 * 0 when every queue met its SLO, 1 when one did not (or no job arrived), 2 on errors,
 * 130 when interrupted (Ctrl-C finishes the run as aborted).
 */
import { execFileSync } from 'node:child_process';
import { QUEUE_NAMES, parseConfig, type LoadSecond, type RunSummary } from '@queuescope/contracts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { getScenario, scaleStages, scenarioNames, totalDurationMs } from '../scenarios/index.js';
import { CollectorClient } from './collector-client.js';
import { parseDuration } from './duration.js';
import { runScenario } from './engine/index.js';
import { hasK6, runK6 } from './k6/runner.js';
import { fromK6Summary } from './k6/summary.js';
import { Progress } from './report/progress.js';
import { formatSummary } from './report/summary-table.js';

const config = parseConfig(process.env);

const program = new Command('loadtest')
  .description('run a load scenario against the queuescope stack and judge it against the queue SLOs')
  .addOption(new Option('-s, --scenario <name>', 'scenario').choices(scenarioNames).default('smoke'))
  .addOption(
    new Option('-e, --engine <engine>', 'k6 when installed, else the built-in engine').choices(['auto', 'k6', 'builtin']).default('auto'),
  )
  .option('-n, --name <name>', 'run name (default: <scenario> <time>)')
  .option('-d, --duration <duration>', 'stretch or shrink the scenario to this total (30s, 2m)', (v) => wrap(() => parseDuration(v)))
  .option('--vus <n>', 'scale the scenario so its peak is this many VUs', (v) => wrap(() => positiveInt(v, 'vus')))
  .option('--producer-url <url>', 'producer base URL', `http://${config.producer.host}:${config.producer.port}`)
  .option('--collector-url <url>', 'collector base URL', `http://${config.collector.host}:${config.collector.port}`)
  .option(
    '--drain-timeout <duration>',
    'longest wait for queued jobs to finish after the load',
    (v) => wrap(() => parseDuration(v)),
    120_000,
  )
  .parse();

const opts = program.opts<{
  scenario: string;
  engine: 'auto' | 'k6' | 'builtin';
  name?: string;
  duration?: number;
  vus?: number;
  producerUrl: string;
  collectorUrl: string;
  drainTimeout: number;
}>();

function wrap<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`${what} must be an integer from 1 to 10000, got '${v}'`);
  return n;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForStored(
  collector: CollectorClient,
  runId: string,
  accepted: number,
  log: (line: string) => void,
): Promise<RunSummary> {
  const deadline = Date.now() + opts.drainTimeout;
  let last = '';
  for (;;) {
    const [status, summary] = await Promise.all([collector.ingestStatus(), collector.summary(runId)]);
    const jobs = summary.queues.reduce((n, q) => n + q.jobs, 0);
    const finished = summary.queues.reduce((n, q) => n + q.completed + q.failed, 0);
    const drained = status.totals.unread === 0 && status.totals.pending === 0;
    if (drained && jobs >= accepted && finished >= jobs) return summary;
    const line = `waiting for the queues to drain: ${finished}/${jobs} jobs finished, ${accepted} accepted, ${status.totals.unread + status.totals.pending} stream entries not yet stored`;
    if (line !== last) log(line);
    last = line;
    if (Date.now() > deadline) {
      log(`drain timeout after ${opts.drainTimeout / 1000} s: reporting what is stored so far`);
      return summary;
    }
    await sleep(1000);
  }
}

async function main(): Promise<number> {
  const collector = new CollectorClient(opts.collectorUrl, config.auth.collectorToken);
  if (!(await collector.ready())) {
    console.error(`The collector at ${opts.collectorUrl} is not ready. Start the stack first: npm run stack (or npm run demo).`);
    return 2;
  }
  try {
    await fetch(`${opts.producerUrl}/readyz`, { signal: AbortSignal.timeout(3000) }).then((r) => {
      if (!r.ok) throw new Error(`status ${r.status}`);
    });
  } catch (err) {
    console.error(
      `The producer at ${opts.producerUrl} is not ready (${err instanceof Error ? err.message : String(err)}). Start the stack first: npm run stack.`,
    );
    return 2;
  }
  // An empty job is invalid (400) and enqueues nothing; a 401 means the token is missing or wrong.
  // Checked before the run exists, so a token problem does not leave a run full of 4xx behind.
  const probe = await fetch(`${opts.producerUrl}/api/v1/queues/payment/jobs`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(config.auth.producerToken ? { authorization: `Bearer ${config.auth.producerToken}` } : {}),
    },
    body: '{}',
    signal: AbortSignal.timeout(3000),
  }).catch(() => undefined);
  if (probe?.status === 401) {
    console.error(
      `The producer at ${opts.producerUrl} refused the request (401): set PRODUCER_API_TOKEN to its token${config.auth.producerToken ? ' (the one set is wrong)' : ''}.`,
    );
    return 2;
  }
  const k6 = opts.engine === 'k6' || (opts.engine === 'auto' && hasK6());
  if (opts.engine === 'k6' && !hasK6()) {
    console.error('k6 is not on PATH (install it from https://grafana.com/docs/k6/latest/set-up/install-k6/), or use --engine builtin.');
    return 2;
  }
  const engine = k6 ? 'k6' : 'builtin';
  const scenario = scaleStages(getScenario(opts.scenario), { durationMs: opts.duration, vus: opts.vus });
  const peakVus = Math.max(...scenario.stages.map((s) => s.target), scenario.startVUs);
  const run = await collector.createRun({
    name: opts.name ?? `${opts.scenario} ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`,
    scenario: opts.scenario,
    engine,
    config: {
      vus: peakVus,
      durationMs: totalDurationMs(scenario),
      stages: scenario.stages,
      workers: config.worker.instances,
      concurrency: Object.fromEntries(QUEUE_NAMES.map((q) => [q, config.queues[q].concurrency])),
      producerUrl: opts.producerUrl,
      gitCommit: gitCommit(),
      node: process.version,
    },
  });
  const tty = Boolean(process.stdout.isTTY) && !k6;
  const log = (line: string) => console.log(line);
  log(
    `run ${run.id}: scenario ${opts.scenario} (peak ${peakVus} VUs, ${(totalDurationMs(scenario) / 1000).toFixed(0)} s) on the ${engine} engine`,
  );

  const abort = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('\ninterrupted: stopping the load and finishing the run as aborted (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Per-second client metrics go to the collector every few seconds, and once more at the end.
  const pending: LoadSecond[] = [];
  let accepted = 0;
  const flush = async () => {
    const batch = pending.splice(0);
    if (batch.length)
      await collector.postLoadMetrics(run.id, engine, batch).catch((err: unknown) => log(`could not store load metrics: ${String(err)}`));
  };
  const flusher = setInterval(() => void flush(), 5000);
  const progress = new Progress(tty, totalDurationMs(scenario));
  const onSecond = (s: LoadSecond) => {
    pending.push(s);
    accepted += s.accepted;
    progress.update(s);
  };

  let k6Code = 0;
  try {
    if (k6) {
      const result = await runK6({
        scenario: opts.scenario,
        runId: run.id,
        baseUrl: opts.producerUrl,
        durationMs: opts.duration,
        vus: opts.vus,
        signal: abort.signal,
        onSecond,
      });
      k6Code = result.code;
      if (!result.summary) log('k6 wrote no summary: the run has no client summary');
      else
        await collector
          .postClientSummary(run.id, fromK6Summary(result.summary))
          .catch((err: unknown) => log(`could not store the k6 summary: ${String(err)}`));
    } else {
      const result = await runScenario({
        baseUrl: opts.producerUrl,
        runId: run.id,
        token: config.auth.producerToken,
        scenario,
        signal: abort.signal,
        onSecond,
      });
      await collector.postClientSummary(run.id, {
        source: 'builtin',
        requests: result.requests,
        accepted: result.accepted,
        errors: result.errors,
        timeouts: result.timeouts,
        reqPerSec: result.reqPerSec,
        p50Ms: result.p50Ms,
        p95Ms: result.p95Ms,
        p99Ms: result.p99Ms,
        maxMs: result.maxMs,
      });
    }
  } finally {
    clearInterval(flusher);
    progress.stop();
    await flush();
  }
  await collector.finishRun(run.id, interrupted ? 'aborted' : 'finished');
  const summary = interrupted ? await collector.summary(run.id) : await waitForStored(collector, run.id, accepted, log);
  log('');
  log(formatSummary(summary, `${opts.collectorUrl}/#/runs/${run.id}`));
  if (interrupted) return 130;
  if (k6Code !== 0 && k6Code !== 99) {
    log(`k6 exited with code ${k6Code}`);
    return 2;
  }
  if (summary.verdict === 'no-data') log('No job reached the queues in this run: nothing to judge.');
  return summary.verdict === 'pass' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
