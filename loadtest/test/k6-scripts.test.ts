import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasK6 } from '../src/k6/runner.js';
import { fromK6Summary } from '../src/k6/summary.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const k6 = hasK6();

describe('k6 scripts', () => {
  it('type-check against @types/k6', () => {
    const tsc = spawnSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', 'loadtest/k6/tsconfig.json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it.skipIf(!k6)('run with k6 (smoke, 5 s) — skipped: k6 is not on PATH on this machine', () => {
    const summaryPath = join(mkdtempSync(join(tmpdir(), 'qs-k6-test-')), 'summary.json');
    const run = spawnSync(
      'k6',
      [
        'run',
        '-e',
        'SCENARIO=smoke',
        '-e',
        'DURATION_MS=5000',
        '-e',
        'BASE_URL=http://127.0.0.1:9',
        '-e',
        `SUMMARY_PATH=${summaryPath}`,
        'loadtest/k6/run.ts',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    // Nothing listens on port 9: every request fails, so the thresholds fail (exit 99) — the script itself ran.
    expect(run.status).toBe(99);
    // handleSummary wrote its data for the runner, which converts it to the run's client summary.
    const summary = fromK6Summary(JSON.parse(readFileSync(summaryPath, 'utf8')));
    expect(summary.requests).toBeGreaterThan(0);
    expect(summary.errors).toBe(summary.requests);
  });
});
