import { describe, expect, it } from 'vitest';
import { spawnScript, waitFor } from '../../../test/support/processes.js';

/** The JSON log lines a process printed so far. */
const logLines = (output: string): Record<string, unknown>[] =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('runServer', () => {
  it('logs as the service, serves the app, and on SIGTERM closes it and exits 0', async () => {
    const proc = spawnScript('packages/service-kit/test/fixtures/serve.ts', { PATH: process.env.PATH ?? '' });
    try {
      await waitFor('the fixture listening', () => /Server listening at/.test(proc.output()), 30_000);
      const listening = logLines(proc.output()).find((l) => String(l.msg).startsWith('Server listening at'));
      const url = String(listening?.msg).replace('Server listening at ', '');
      expect(listening).toMatchObject({ service: 'kit-fixture', level: 30 });

      const res = await fetch(`${url}/hello`);
      expect(await res.json()).toEqual({ greeting: 'hi' });

      expect(await proc.kill('SIGTERM')).toBe(0);
      // pino may write a later line first when the pipe is full: order by its `time` (ms).
      const lines = logLines(proc.output());
      const at = (msg: string): number => Number(lines.find((l) => String(l.msg).startsWith(msg))?.time ?? Number.NaN);
      expect(at('before register')).toBeLessThanOrEqual(at('Server listening'));
      expect(at('closing: fixture')).toBeGreaterThanOrEqual(at('request completed'));
      expect(at('app closed')).toBeGreaterThanOrEqual(at('closing: fixture'));
    } finally {
      await proc.kill('SIGKILL');
    }
  });
});
