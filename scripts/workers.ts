/**
 * `npm run workers -- --instances 5`: run N worker processes with prefixed logs and restart any
 * that dies. Ctrl-C (SIGINT) or SIGTERM stops them all; each finishes its active jobs first.
 */
import { Command, InvalidArgumentError } from 'commander';
import { fileURLToPath } from 'node:url';
import { superviseAll } from './lib/processes.js';

const program = new Command('workers')
  .description('run and supervise queuescope worker processes')
  .option(
    '-i, --instances <n>',
    'worker processes to run',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be an integer from 1 to 64');
      return n;
    },
    Number(process.env.WORKER_INSTANCES ?? 5),
  )
  .parse();
const { instances } = program.opts<{ instances: number }>();

const entry = fileURLToPath(new URL('../services/worker/src/main.ts', import.meta.url));
const specs = Array.from({ length: instances }, (_, i) => ({ name: `worker-${i + 1}`, entry, restart: true }));
const { stopAll } = superviseAll(specs);
console.log(`started ${instances} worker processes; Ctrl-C stops them`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`${signal}: stopping workers (active jobs finish first)`);
    void stopAll().then(() => process.exit(0));
  });
}
