import { withTimeoutOr } from '@queuescope/service-kit';

export interface Ticker {
  /** Stop scheduling and wait up to `waitMs` for the tick in flight; false if it is still running. Idempotent. */
  stop(waitMs: number): Promise<boolean>;
}

/**
 * Calls `tick(second)` at every wall-clock second (`second` in epoch s). Ticks never overlap: when
 * the previous tick still runs at the next second, that second is skipped (`onSkip`), so a slow
 * QuestDB or Redis cannot pile up work. `tick` must not reject.
 */
export function everySecond(tick: (second: number) => Promise<void>, onSkip: (second: number) => void): Ticker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const schedule = (from: number): void => {
    const due = (Math.floor(from / 1000) + 1) * 1000;
    timer = setTimeout(() => fire(due), due - Date.now());
  };
  const fire = (due: number): void => {
    if (stopped) return;
    // A timer may fire a millisecond early, or seconds late after a blocked event loop.
    const now = Math.max(Date.now(), due);
    schedule(now);
    const second = Math.floor(now / 1000);
    if (running) return onSkip(second);
    running = tick(second).finally(() => {
      running = undefined;
    });
  };
  schedule(Date.now());
  return {
    async stop(waitMs) {
      stopped = true;
      clearTimeout(timer);
      if (!running) return true;
      return withTimeoutOr(
        running.then(() => true),
        waitMs,
        false,
      );
    },
  };
}
