import { describe, expect, it } from 'vitest';
import { everySecond } from '../../src/samplers/every-second.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('everySecond', () => {
  it('ticks once per wall-clock second, on the second, with consecutive seconds', async () => {
    const ticks: { second: number; at: number }[] = [];
    const ticker = everySecond(
      async (second) => {
        ticks.push({ second, at: Date.now() });
      },
      () => undefined,
    );
    await sleep(3200);
    expect(await ticker.stop(1000)).toBe(true);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (const [i, t] of ticks.entries()) {
      expect(t.at - t.second * 1000, `tick ${i} fired ${t.at - t.second * 1000} ms after its second`).toBeGreaterThanOrEqual(0);
      expect(t.at - t.second * 1000).toBeLessThan(200);
      if (i > 0) expect(t.second).toBe(ticks[i - 1]!.second + 1);
    }
  });

  it('skips the seconds a slow tick overlaps instead of running two at once', async () => {
    let running = 0;
    let maxRunning = 0;
    const seconds: number[] = [];
    const skipped: number[] = [];
    const ticker = everySecond(
      async (second) => {
        seconds.push(second);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await sleep(1500);
        running -= 1;
      },
      (second) => skipped.push(second),
    );
    await sleep(3500);
    await ticker.stop(3000);
    expect(maxRunning).toBe(1);
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    for (const s of skipped) expect(seconds).not.toContain(s);
  });

  it('stop waits for the tick in flight, reports one that outlasts the wait, and is idempotent', async () => {
    let finished = false;
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    const ticker = everySecond(
      async () => {
        started();
        await sleep(600);
        finished = true;
      },
      () => undefined,
    );
    await inFlight;
    expect(await ticker.stop(50)).toBe(false);
    expect(finished).toBe(false);
    expect(await ticker.stop(2000)).toBe(true);
    expect(finished).toBe(true);
    let ticked = false;
    const idle = everySecond(
      async () => {
        ticked = true;
      },
      () => undefined,
    );
    expect(await idle.stop(0)).toBe(true);
    await sleep(1100);
    expect(ticked).toBe(false);
  });
});
