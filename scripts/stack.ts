/**
 * `npm run stack`: the whole of queuescope on this machine, in the foreground.
 *
 * Builds the dashboard when web/dist is missing or older than its sources, starts Redis and QuestDB
 * when they do not answer (infra/scripts/services-up.sh), then the collector, the producer and N worker processes with prefixed logs; a worker that dies is
 * restarted. Ctrl-C (SIGINT) or SIGTERM stops everything it started, in reverse order: workers
 * finish their active jobs, the producer drains, the collector stores what it read; Redis and
 * QuestDB are stopped only if this command started them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@queuescope/contracts';
import { Command, InvalidArgumentError } from 'commander';
import { superviseAll, type ProcessSpec } from './lib/processes.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const config = parseConfig(process.env);

const program = new Command('stack')
  .description('run Redis, QuestDB, the collector, the producer and the workers in the foreground')
  .option(
    '-w, --workers <n>',
    'worker processes',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('must be an integer from 1 to 64');
      return n;
    },
    config.worker.instances,
  )
  .option('--keep-services', 'leave Redis and QuestDB running on exit even if this command started them', false)
  .parse();
const opts = program.opts<{ workers: number; keepServices: boolean }>();

/**
 * Why web/dist must be (re)built, or null when it is up to date: its index.html is missing, or older
 * than a file under web/src or web/public, web/index.html, or the web package's config.
 */
function dashboardBuildReason(): string | null {
  const web = `${ROOT}web/`;
  if (!existsSync(`${web}package.json`)) return null;
  const built = `${web}dist/index.html`;
  if (!existsSync(built)) return 'web/dist is missing';
  const builtAt = statSync(built).mtimeMs;
  const inputs = ['index.html', 'package.json', 'tsconfig.json', ...readdirSync(web).filter((f) => f.startsWith('vite.config.'))].map(
    (f) => web + f,
  );
  for (const dir of ['src', 'public']) {
    if (!existsSync(web + dir)) continue;
    for (const entry of readdirSync(web + dir, { recursive: true, withFileTypes: true }))
      if (entry.isFile()) inputs.push(`${entry.parentPath}/${entry.name}`);
  }
  const newer = inputs.find((f) => existsSync(f) && statSync(f).mtimeMs > builtAt);
  return newer ? `${newer.slice(ROOT.length)} changed since the last build` : null;
}

const buildReason = dashboardBuildReason();
if (buildReason) {
  console.log(`[stack] building the dashboard (${buildReason}): npm run build:web …`);
  const started = Date.now();
  try {
    execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.error('[stack] the dashboard build failed (see above); fix it, or run `npm run build:web` to retry');
    process.exit(1);
  }
  console.log(`[stack] dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const pidfile = (name: string): string => `${ROOT}.data/run/${name}.pid`;
const ownedBefore = ['redis', 'questdb'].filter((n) => existsSync(pidfile(n)));
execFileSync('bash', [`${ROOT}infra/scripts/services-up.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
const startedHere = ['redis', 'questdb'].filter((n) => existsSync(pidfile(n)) && !ownedBefore.includes(n));

const entry = (service: string): string => `${ROOT}services/${service}/src/main.ts`;
const specs: ProcessSpec[] = [
  { name: 'collector', entry: entry('collector'), restart: true },
  { name: 'producer', entry: entry('producer'), restart: true },
  ...Array.from({ length: opts.workers }, (_, i) => ({ name: `worker-${i + 1}`, entry: entry('worker'), restart: true })),
];
const { stopAll } = superviseAll(specs);

const collectorUrl = `http://${config.collector.host}:${config.collector.port}`;
const producerUrl = `http://${config.producer.host}:${config.producer.port}`;
void waitReady([`${collectorUrl}/readyz`, `${producerUrl}/readyz`]).then((ok) => {
  if (!ok) return;
  console.log(
    [
      '',
      `queuescope is up: ${opts.workers} workers on payment, notification, webhook`,
      `  producer   ${producerUrl}   (POST /api/v1/payments, /api/v1/notifications, /api/v1/webhooks${config.auth.producerToken ? ' with Authorization: Bearer $PRODUCER_API_TOKEN' : ''})`,
      // The token rides in the fragment, which the browser never sends; the dashboard keeps it for the tab and wipes it from the URL.
      `  dashboard  ${collectorUrl}/${config.auth.collectorToken ? `#token=${encodeURIComponent(config.auth.collectorToken)}` : ''}`,
      `  collector  ${collectorUrl}   (GET /api/v1/ingest/status)`,
      `  QuestDB    psql -h ${config.questdb.pg.host} -p ${config.questdb.pg.port} -U ${config.questdb.pg.user} -d qdb   (password ${config.questdb.pg.password})`,
      'Ctrl-C stops everything this command started.',
      '',
    ].join('\n'),
  );
});

async function waitReady(urls: string[], timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      try {
        if ((await fetch(url)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        console.error(`${url} not ready after ${timeoutMs / 1000} s; see the logs above`);
        return false;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return true;
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(
      `\n${signal}: stopping workers, producer, collector${startedHere.length && !opts.keepServices ? `, then ${startedHere.join(' and ')}` : ''}`,
    );
    void stopAll().then(() => {
      if (startedHere.length > 0 && !opts.keepServices) {
        execFileSync('bash', [`${ROOT}infra/scripts/stop-services.sh`, ...startedHere], { stdio: 'inherit' });
      }
      process.exit(0);
    });
  });
}
