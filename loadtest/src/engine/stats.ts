import hdr from 'hdr-histogram-js';
import type { LoadSecond } from '@queuescope/contracts';

/**
 * One wall-clock second of client-side numbers, the row the collector's
 * `POST /api/v1/runs/:id/load-metrics` takes. `ts` is the second's start, epoch ms; latencies are
 * ms over the requests answered in that second, null when none was.
 */
export type SecondStats = LoadSecond;

/** How one request ended. `status4xx` also takes the (unexpected) 1xx/3xx answers: every non-2xx below 500. */
export type Outcome = 'accepted' | 'status4xx' | 'status5xx' | 'errors' | 'timeouts';

type Counts = Record<Outcome | 'requests', number>;

const zero = (): Counts => ({ requests: 0, accepted: 0, status4xx: 0, status5xx: 0, errors: 0, timeouts: 0 });

/** Latencies are recorded in µs, 3 significant digits; the histogram grows as needed. */
const histogram = (): hdr.Histogram => hdr.build({ numberOfSignificantValueDigits: 3 });

const percentiles = (h: hdr.Histogram) => {
  const at = (q: number): number | null => (h.totalCount > 0 ? h.getValueAtPercentile(q) / 1000 : null);
  return { p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: h.totalCount > 0 ? h.maxValue / 1000 : null };
};

/**
 * Counts and latency histograms per wall-clock second and for the whole run. A request is
 * attributed to the second in which it ended. `record` and `setVus` first close every second that
 * is over, so a second is emitted exactly once, in order, with no gaps.
 */
export class RunStats {
  readonly total: Counts = zero();
  private readonly whole = histogram();
  private second: Counts = zero();
  private secondHist = histogram();
  private secondStart: number;
  /** Largest VU count seen in the current second (k6's `vus` gauge, max per second, is read the same way). */
  private secondVus = 0;
  private vus = 0;

  constructor(
    now: number,
    private readonly emit: (s: SecondStats) => void,
  ) {
    this.secondStart = Math.floor(now / 1000) * 1000;
  }

  record(outcome: Outcome, latencyUs: number | null, now = Date.now()): void {
    this.roll(now);
    for (const c of [this.total, this.second]) {
      c.requests++;
      c[outcome]++;
    }
    if (latencyUs !== null) {
      const us = Math.max(0, Math.round(latencyUs));
      this.whole.recordValue(us);
      this.secondHist.recordValue(us);
    }
  }

  setVus(vus: number, now = Date.now()): void {
    this.roll(now);
    this.vus = vus;
    this.secondVus = Math.max(this.secondVus, vus);
  }

  /** Emit every second that ended before `now`. */
  roll(now: number): void {
    while (this.secondStart + 1000 <= now) {
      const s: SecondStats = { ts: this.secondStart, vus: this.secondVus, ...this.second, ...percentiles(this.secondHist) };
      this.secondHist.reset();
      this.second = zero();
      this.secondVus = this.vus;
      this.secondStart += 1000;
      this.emit(s);
    }
  }

  /** Emit the current, partial second too. */
  flush(now: number): void {
    this.roll(Math.floor(now / 1000) * 1000 + 1000);
  }

  /** Whole-run latency percentiles, ms. */
  percentiles(): ReturnType<typeof percentiles> {
    return percentiles(this.whole);
  }

  destroy(): void {
    this.whole.destroy();
    this.secondHist.destroy();
  }
}
