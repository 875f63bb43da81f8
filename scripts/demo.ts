/**
 * `npm run demo [-- [scenario] [--cluster] [--duration 30s] [--vus 50]]`: the whole thing in one
 * command. Starts the stack (Redis and QuestDB when they do not answer, the collector, the producer,
 * 5 workers) with its logs in .data/logs/stack.log, runs the scenario (smoke by default), prints the
 * summary with SLO verdicts, and leaves the stack and the dashboard up until Ctrl-C, which stops
 * everything it started. `--cluster` first brings up the local 6-node Redis Cluster
 * (infra/scripts/cluster-up.sh) and runs every service on it; Ctrl-C stops the cluster too when
 * this command started it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@queuescope/contracts';
import { Command } from 'commander';
import { scenarioNames } from '../loadtest/scenarios/index.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const program = new Command('demo')
  .description('bring up the stack, run a load test, print the result, leave the dashboard up')
  .argument('[scenario]', `load scenario (${scenarioNames.join(', ')})`, 'smoke')
  .option('--cluster', 'run on the local 6-node Redis Cluster (127.0.0.1:7000-7005), started when it does not run', false)
  .option('-d, --duration <duration>', 'stretch or shrink the scenario to this total (passed to the load test)')
  .option('--vus <n>', 'peak VUs (passed to the load test)')
  .parse();
const [scenario] = program.processedArgs as [string];
const opts = program.opts<{ cluster: boolean; duration?: string; vus?: string }>();
if (!scenarioNames.includes(scenario)) program.error(`unknown scenario '${scenario}' (use one of ${scenarioNames.join(', ')})`);

/** The local cluster's first node's pidfile (cluster-up.sh): present before = someone else started it. */
const clusterPidfile = `${ROOT}.data/run/cluster-7000.pid`;
let clusterStartedHere = false;
if (opts.cluster) {
  const before = existsSync(clusterPidfile);
  console.log('starting the local Redis Cluster (npm run cluster:up) …');
  execFileSync('bash', [`${ROOT}infra/scripts/cluster-up.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
  clusterStartedHere = !before;
  process.env.REDIS_CLUSTER_NODES = [7000, 7001, 7002, 7003, 7004, 7005].map((p) => `127.0.0.1:${p}`).join(',');
}
const config = parseConfig(process.env);
const collectorUrl = `http://${config.collector.host}:${config.collector.port}`;
const producerUrl = `http://${config.producer.host}:${config.producer.port}`;

/** Stop the cluster if this command started it. */
function stopCluster(): void {
  if (!clusterStartedHere) return;
  clusterStartedHere = false;
  execFileSync('bash', [`${ROOT}infra/scripts/cluster-down.sh`], { stdio: 'inherit' });
}

mkdirSync(`${ROOT}.data/logs`, { recursive: true });
const logPath = `${ROOT}.data/logs/stack.log`;
const log = createWriteStream(logPath, { flags: 'a' });
console.log(`starting the stack (logs: ${logPath}) …`);
const stack = spawn(process.execPath, ['--import', 'tsx', `${ROOT}scripts/stack.ts`], { stdio: ['ignore', 'pipe', 'pipe'] });
stack.stdout.pipe(log);
stack.stderr.pipe(log);
let stopping = false;
const stackExited = new Promise<number>((resolve) => stack.on('exit', (code) => resolve(code ?? 1)));
void stackExited.then((code) => {
  if (!stopping) {
    console.error(`the stack stopped unexpectedly (exit ${code}); see ${logPath}`);
    stopCluster();
    process.exit(2);
  }
});

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

const deadline = Date.now() + 180_000;
while (!((await ready(`${collectorUrl}/readyz`)) && (await ready(`${producerUrl}/readyz`)))) {
  if (Date.now() > deadline) {
    console.error(`the stack did not become ready within 180 s; see ${logPath}`);
    stack.kill('SIGINT');
    stopCluster();
    process.exit(2);
  }
  await new Promise((r) => setTimeout(r, 500));
}
// Give the worker processes a moment to connect before the first requests.
await new Promise((r) => setTimeout(r, 2000));

// Ctrl-C during the load test: the load test (same process group) finishes its run as aborted,
// then the stack is stopped.
let interrupted = false;
process.on('SIGINT', () => (interrupted = true));
console.log(`stack ready; running the ${scenario} scenario …\n`);
const loadtest = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    `${ROOT}loadtest/src/cli.ts`,
    '--scenario',
    scenario,
    '--name',
    `demo ${scenario}${opts.cluster ? ' (cluster)' : ''}`,
    ...(opts.duration ? ['--duration', opts.duration] : []),
    ...(opts.vus ? ['--vus', opts.vus] : []),
  ],
  { stdio: 'inherit' },
);
const code = await new Promise<number>((resolve) => loadtest.on('exit', (c) => resolve(c ?? 1)));
if (interrupted) {
  stopping = true;
  stack.kill('SIGINT');
  await stackExited;
  stopCluster();
  process.exit(130);
}
console.log(
  [
    '',
    code === 0
      ? 'Every queue met its SLO.'
      : code === 1
        ? 'At least one queue missed its SLO (see the table above).'
        : `The load test ended with exit code ${code}.`,
    ...(opts.cluster ? [`Redis: the local cluster, REDIS_CLUSTER_NODES=${process.env.REDIS_CLUSTER_NODES}`] : []),
    `Dashboard: ${collectorUrl}/   API: ${collectorUrl}/api/docs   SQL: psql -h ${config.questdb.pg.host} -p ${config.questdb.pg.port} -U ${config.questdb.pg.user} -d qdb`,
    'The stack keeps running; Ctrl-C stops everything this command started.',
  ].join('\n'),
);

const stop = (): void => {
  if (stopping) return;
  stopping = true;
  console.log('stopping the stack …');
  stack.kill('SIGINT');
  void stackExited.then(() => {
    stopCluster();
    process.exit(0);
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
