/**
 * `npm run tune -- --queue webhook --concurrency 12 [--reason text] [--run-id id]`: set a queue's
 * slots per worker process at run time through the collector (`PUT /api/v1/queues/:queue/concurrency`,
 * with QS_API_TOKEN), print old → new, then wait up to 5 s until every live worker process reports
 * the new value and list them. `npm run tune -- --queue webhook` prints the current setting and
 * what each live worker runs. Exits 0 when done, 2 on errors (a bad value, no collector, 401, 503:
 * the collector's message is shown).
 */
import { QUEUE_NAMES, parseConfig, type ConcurrencySetting, type SetConcurrencyBody } from '@queuescope/contracts';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CollectorClient } from '../loadtest/src/collector-client.js';

/** How long to wait for the live workers to report a new value, ms. */
const CONFIRM_TIMEOUT_MS = 5000;
const POLL_MS = 250;

const config = parseConfig(process.env);

const program = new Command('tune')
  .description('set or show the concurrency (slots per worker process) of a queue, applied by running workers without a restart')
  .addOption(new Option('-q, --queue <name>', 'queue').choices([...QUEUE_NAMES]).makeOptionMandatory())
  .option(
    '-c, --concurrency <n>',
    `slots per worker process, 1..${config.worker.maxConcurrency} (WORKER_MAX_CONCURRENCY); omit to show the current value`,
    (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
      return Number(v);
    },
  )
  .option('-r, --reason <text>', 'why (recorded with the change)')
  .option('--run-id <id>', 'tag the change with this load-test run')
  .option('--collector-url <url>', 'collector base URL', `http://${config.collector.host}:${config.collector.port}`)
  .exitOverride();

try {
  program.parse();
} catch (err) {
  // commander already printed its message (or the help); errors exit 2 like every other failure here.
  process.exit(err instanceof CommanderError && err.exitCode === 0 ? 0 : 2);
}

const opts = program.opts<{ queue: string; concurrency?: number; reason?: string; runId?: string; collectorUrl: string }>();
const collector = new CollectorClient(opts.collectorUrl, config.auth.collectorToken);
const call = (body?: SetConcurrencyBody): Promise<ConcurrencySetting> =>
  body ? collector.setConcurrency(opts.queue, body) : collector.concurrency(opts.queue);

const workerLines = (s: ConcurrencySetting): string[] =>
  s.workers.map(
    (w) => `  ${w.id.padEnd(32)} concurrency ${String(w.concurrency).padStart(4)}   cpu ${w.cpu.toFixed(2)} of ${w.cores} cores`,
  );

const describe = (s: ConcurrencySetting): string =>
  `${s.queue}: concurrency ${s.concurrency} per worker process (${s.source === 'setting' ? 'set at run time' : 'profile default'}; max ${s.max})`;

try {
  if (opts.concurrency === undefined) {
    const s = await call();
    console.log(describe(s));
    console.log(s.workers.length === 0 ? '  no live worker process serves this queue' : workerLines(s).join('\n'));
  } else {
    const before = await call();
    const after = await call({
      concurrency: opts.concurrency,
      actor: 'cli',
      ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
      ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
    });
    if (before.concurrency === after.concurrency)
      console.log(`${after.queue}: concurrency is already ${after.concurrency} (nothing changed)`);
    else console.log(`${after.queue}: concurrency ${before.concurrency} → ${after.concurrency} per worker process`);
    // Wait until every live worker runs the new value (each reports every few seconds).
    const putAt = Date.now();
    const deadline = putAt + CONFIRM_TIMEOUT_MS;
    let now = after;
    while (now.workers.some((w) => w.concurrency !== after.concurrency) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      now = await call();
    }
    if (now.workers.length === 0) console.log('  no live worker process serves this queue: workers apply it when they start');
    else {
      const pending = now.workers.filter((w) => w.concurrency !== after.concurrency);
      console.log(
        pending.length === 0
          ? `  applied by ${now.workers.length} worker process${now.workers.length === 1 ? '' : 'es'} within ${((Date.now() - putAt) / 1000).toFixed(1)} s:`
          : `  ${pending.length} of ${now.workers.length} worker processes did not report it within ${CONFIRM_TIMEOUT_MS / 1000} s:`,
      );
      console.log(workerLines(now).join('\n'));
    }
  }
} catch (err) {
  console.error(`tune: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
