import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConcurrencySetting, QueueName } from '@queuescope/contracts';
import type { TestStack } from './stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `npm run loadtest -- <args>` against `stack` (built-in engine), as a real process; resolves with its exit code and output. */
export function runLoadtest(stack: TestStack, args: string[], timeoutMs = 170_000): Promise<{ code: number; out: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'loadtest/src/cli.ts',
      '--engine',
      'builtin',
      '--producer-url',
      stack.producerUrl,
      '--collector-url',
      stack.collectorUrl,
      ...args,
    ],
    { cwd: ROOT, env: stack.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : -2), out });
    }),
  );
}

/** The run ids a loadtest printed (`run <id>: scenario …`), in order. */
export function runIdsOf(out: string): string[] {
  return [...out.matchAll(/^run (\S+): scenario /gm)].map((m) => m[1]!);
}

/** `GET /api/v1/queues/:queue/concurrency` of the stack's collector. */
export async function concurrencyOf(stack: TestStack, queue: QueueName): Promise<ConcurrencySetting> {
  const res = await fetch(`${stack.collectorUrl}/api/v1/queues/${queue}/concurrency`, { headers: stack.collectorHeaders });
  if (!res.ok) throw new Error(`GET concurrency of ${queue} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as ConcurrencySetting;
}
