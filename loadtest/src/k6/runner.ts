import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, readFileSync, closeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadSecond } from '@queuescope/contracts';
import { K6JsonAggregator } from './json-output.js';
import type { K6SummaryData } from './summary.js';

const SCRIPT = fileURLToPath(new URL('../../k6/run.ts', import.meta.url));

/** True when a `k6` binary answers on PATH. */
export function hasK6(): boolean {
  return spawnSync('k6', ['version'], { stdio: 'ignore' }).status === 0;
}

export interface K6Options {
  scenario: string;
  runId: string;
  baseUrl: string;
  durationMs?: number | undefined;
  vus?: number | undefined;
  signal?: AbortSignal;
  /** Called with each completed second of client metrics, aggregated from k6's JSON stream. */
  onSecond: (s: LoadSecond) => void;
}

export interface K6Result {
  /** k6's exit code (99: thresholds failed). */
  code: number;
  /** k6's handleSummary data, or null when k6 wrote none (it failed before the end of the test). */
  summary: K6SummaryData | null;
}

/**
 * Run `loadtest/k6/run.ts` with k6, its own output on this terminal, and its `--out json` stream
 * tailed from a temp file into per-second metrics. Resolves with k6's exit code and the summary
 * data its handleSummary wrote to a temp file. Aborting sends SIGINT, which makes k6 stop and
 * still write its summary.
 */
export async function runK6(opts: K6Options): Promise<K6Result> {
  const dir = mkdtempSync(join(tmpdir(), 'qs-k6-'));
  const out = join(dir, 'results.json');
  const summaryPath = join(dir, 'summary.json');
  const env = ['BASE_URL', opts.baseUrl, 'RUN_ID', opts.runId, 'SCENARIO', opts.scenario, 'SUMMARY_PATH', summaryPath];
  if (opts.durationMs) env.push('DURATION_MS', String(opts.durationMs));
  if (opts.vus) env.push('VUS', String(opts.vus));
  const args = ['run', ...env.flatMap((v, i) => (i % 2 === 0 ? ['-e', `${v}=${env[i + 1]}`] : [])), '--out', `json=${out}`, SCRIPT];
  const child = spawn('k6', args, { stdio: 'inherit' });
  opts.signal?.addEventListener('abort', () => child.kill('SIGINT'));
  const agg = new K6JsonAggregator();
  let offset = 0;
  let rest = '';
  const readNew = (): void => {
    if (!existsSync(out)) return;
    const fd = openSync(out, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        const lines = (rest + buf.subarray(0, n).toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) agg.push(line);
      }
    } finally {
      closeSync(fd);
    }
    for (const s of agg.drain()) opts.onSecond(s);
  };
  const timer = setInterval(readNew, 500);
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(timer);
  readNew();
  if (rest) agg.push(rest);
  for (const s of agg.finish()) opts.onSecond(s);
  return { code, summary: existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as K6SummaryData) : null };
}
