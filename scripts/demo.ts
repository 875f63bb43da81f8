/**
 * `npm run demo`: the whole thing in one command. Starts the stack (Redis and QuestDB when they
 * do not answer, the collector, the producer, 5 workers) with its logs in .data/logs/stack.log,
 * runs the smoke scenario, prints the summary with SLO verdicts, and leaves the stack and the
 * dashboard up until Ctrl-C, which stops everything it started.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@queuescope/contracts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const config = parseConfig(process.env);
const scenario = process.argv[2] ?? 'smoke';
const collectorUrl = `http://${config.collector.host}:${config.collector.port}`;
const producerUrl = `http://${config.producer.host}:${config.producer.port}`;

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
  ['--import', 'tsx', `${ROOT}loadtest/src/cli.ts`, '--scenario', scenario, '--name', `demo ${scenario}`],
  { stdio: 'inherit' },
);
const code = await new Promise<number>((resolve) => loadtest.on('exit', (c) => resolve(c ?? 1)));
if (interrupted) {
  stopping = true;
  stack.kill('SIGINT');
  await stackExited;
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
    `Dashboard: ${collectorUrl}/   API: ${collectorUrl}/api/docs   SQL: psql -h ${config.questdb.pg.host} -p ${config.questdb.pg.port} -U ${config.questdb.pg.user} -d qdb`,
    'The stack keeps running; Ctrl-C stops everything this command started.',
  ].join('\n'),
);

const stop = (): void => {
  if (stopping) return;
  stopping = true;
  console.log('stopping the stack …');
  stack.kill('SIGINT');
  void stackExited.then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
