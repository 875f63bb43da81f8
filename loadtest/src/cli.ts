/**
 * `npm run loadtest -- --scenario heavy [--engine auto|k6|builtin] [--name …] [--duration 30s] [--vus 500]
 *   [--tune [--max-rounds N] [--dry-run]]`
 *
 * Creates a run on the collector (scenario, engine, worker count, queue concurrency, git commit),
 * drives k6 when it is on PATH (engine auto) or the built-in engine, shows live progress, stores
 * per-second client metrics, finishes the run, waits until every event of the run is stored,
 * prints the per-queue summary with SLO verdicts and the dashboard URL, and exits
 * 0 when every queue met its SLO, 1 when one did not (or no job arrived), 2 on errors,
 * 130 when interrupted (Ctrl-C finishes the run as aborted).
 *
 * With `--tune` (src/tune/): diagnose the run, apply each failing queue's concurrency
 * recommendation that can help at run time (workers keep running), wait for the backlog to drain,
 * run the scenario again, print the compare, and exit by the last run's verdict.
 */
import { QUEUE_NAMES, parseConfig } from '@queuescope/contracts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { getScenario, scaleStages, scenarioNames } from '../scenarios/index.js';
import { CollectorClient } from './collector-client.js';
import { parseDuration } from './duration.js';
import { hasK6 } from './k6/runner.js';
import { runOnce, type RunContext } from './run.js';
import { runTune } from './tune/loop.js';
import { readSettings, servingConfig } from './tune/settings.js';

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
  .option('--tune', 'diagnose the run, apply what can help to failing queues at run time, run again and compare')
  .option(
    '--max-rounds <n>',
    'tune rounds (each applies changes and runs again) while a queue fails and a change still helps',
    (v) => wrap(() => positiveInt(v, 'max-rounds', 20)),
    1,
  )
  .option('--dry-run', 'with --tune: print what tune would change after the first run, change nothing')
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
  tune?: boolean;
  maxRounds: number;
  dryRun?: boolean;
}>();

function wrap<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function positiveInt(v: string, what: string, max = 10_000): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${what} must be an integer from 1 to ${max}, got '${v}'`);
  return n;
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

  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    console.log('\ninterrupted: stopping the load and finishing the run as aborted (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const ctx: RunContext = {
    collector,
    producerUrl: opts.producerUrl,
    producerToken: config.auth.producerToken,
    engine,
    scenarioName: opts.scenario,
    scenario,
    durationMs: opts.duration,
    vus: opts.vus,
    drainTimeoutMs: opts.drainTimeout,
    signal: abort.signal,
    tty: Boolean(process.stdout.isTTY),
    log: (line) => console.log(line),
    runUrl: (id) => `${opts.collectorUrl}/#/runs/${encodeURIComponent(id)}`,
  };
  const name = opts.name ?? `${opts.scenario} ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
  const queues = [...QUEUE_NAMES];
  const fallback = {
    workers: config.worker.instances,
    concurrency: Object.fromEntries(QUEUE_NAMES.map((q) => [q, config.queues[q].concurrency])),
  };
  if (opts.tune || opts.dryRun) {
    return runTune(ctx, {
      maxRounds: opts.maxRounds,
      dryRun: Boolean(opts.dryRun),
      name,
      queues,
      fallback,
      compareUrl: (a, b) => `${opts.collectorUrl}/#/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`,
    });
  }
  const serving = servingConfig(await readSettings(collector, queues), fallback);
  return (await runOnce(ctx, { name, ...serving })).code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
