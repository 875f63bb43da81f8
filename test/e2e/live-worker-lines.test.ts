/**
 * Issue 11, item 6: the Live page's worker chart draws only processes that finished a job in the
 * window, and beyond 10 of them the 10 busiest plus one "+N others" line (web/src/pages/qs-live-page/
 * worker-series.ts, the function the page renders from).
 */
import { describe, expect, it } from 'vitest';
import { MAX_WORKER_LINES, workerLines } from '../../web/src/pages/qs-live-page/worker-series.js';

describe('workerLines', () => {
  it('drops processes without a finished job in the window (dead ones: zeros or nulls only)', () => {
    const lines = workerLines({
      'h:3': [0, 2, 1],
      'h:1': [0, 0, 0],
      'h:2': [null, null, null],
      'h:4': [1, null, 0],
    });
    expect(lines.map((l) => l.label)).toEqual(['h:3', 'h:4']);
    expect(lines.every((l) => !l.others)).toBe(true);
  });

  it('shows exactly 10 processes without an "others" line', () => {
    const workers = Object.fromEntries(Array.from({ length: MAX_WORKER_LINES }, (_, i) => [`h:${i}`, [1, 1]]));
    const lines = workerLines(workers);
    expect(lines).toHaveLength(10);
    expect(lines.some((l) => l.others)).toBe(false);
  });

  it('beyond 10 processes: the 10 busiest by jobs in the window, then "+N others" with the per-second total of the rest', () => {
    // 30 processes after restarts: h:0 … h:29, h:i finished i jobs in the first second and 1 in the third.
    const workers: Record<string, (number | null)[]> = {};
    for (let i = 0; i < 30; i++) workers[`h:${String(i).padStart(2, '0')}`] = [i, null, 1];
    workers['h:dead'] = [0, 0, 0];
    const lines = workerLines(workers);
    expect(lines).toHaveLength(11);
    expect(lines.slice(0, 10).map((l) => l.label)).toEqual(Array.from({ length: 10 }, (_, i) => `h:${20 + i}`));
    const others = lines[10]!;
    expect(others).toEqual({ label: '+20 others', others: true, values: [190, null, 20] });
  });
});
