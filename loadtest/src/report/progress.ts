import cliProgress from 'cli-progress';
import type { LoadSecond } from '@queuescope/contracts';

/**
 * Live progress of a load test: on a TTY one bar with elapsed time, VUs, req/s, errors and p95;
 * otherwise a plain line every 5 seconds (CI logs).
 */
export class Progress {
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  private lastLine = 0;
  private errors = 0;

  constructor(
    private readonly tty: boolean,
    private readonly totalMs: number,
  ) {
    if (tty) {
      this.bar = new cliProgress.SingleBar(
        {
          format: ' {bar} {elapsed}/{total}s | VUs {vus} | {rps} req/s | errors {errors} | timeouts {timeouts} | p95 {p95} ms',
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.round(totalMs / 1000), 0, { vus: 0, rps: 0, errors: 0, timeouts: 0, p95: '–', elapsed: 0 });
    }
  }

  update(s: LoadSecond): void {
    this.errors += s.errors + s.status5xx + s.status4xx;
    const elapsed = Math.round((Date.now() - this.started) / 1000);
    const values = {
      vus: s.vus,
      rps: s.requests,
      errors: this.errors,
      timeouts: s.timeouts,
      p95: s.p95Ms === null ? '–' : s.p95Ms.toFixed(1),
      elapsed,
    };
    if (this.bar) {
      this.bar.update(Math.min(elapsed, Math.round(this.totalMs / 1000)), values);
      return;
    }
    if (Date.now() - this.lastLine >= 5000) {
      this.lastLine = Date.now();
      console.log(
        `[${elapsed}s/${Math.round(this.totalMs / 1000)}s] VUs ${values.vus} | ${values.rps} req/s | errors ${values.errors} | timeouts ${values.timeouts} | p95 ${values.p95} ms`,
      );
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
