import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TimeoutError, withTimeout, withTimeoutOr } from '../src/index.js';

describe('withTimeout', () => {
  it('passes a value through that arrives in time', async () => {
    await expect(withTimeout(sleep(5, 'v'), 1000)).resolves.toBe('v');
  });

  it('passes a rejection through that arrives in time', async () => {
    await expect(withTimeout(Promise.reject(new Error('refused')), 1000)).rejects.toThrow('refused');
  });

  it('rejects with a TimeoutError naming what did not answer, and the limit', async () => {
    const started = Date.now();
    const err = await withTimeout(sleep(2000), 50, 'redis info').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('redis info: no answer within 50 ms');
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(withTimeout(sleep(2000), 20)).rejects.toThrow(/^no answer within 20 ms$/);
  });
});

describe('withTimeoutOr', () => {
  it('answers the fallback when the work is late, the value when it is not', async () => {
    await expect(withTimeoutOr(sleep(2000, true), 20, false)).resolves.toBe(false);
    await expect(withTimeoutOr(sleep(5, true), 1000, false)).resolves.toBe(true);
  });
});
