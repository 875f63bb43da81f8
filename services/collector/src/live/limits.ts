/**
 * The live stream's limits as this process counts them (COLLECTOR_WS_* and COLLECTOR_LIVE_MAX_FILTERS,
 * `config.collector.limits`), exported to /metrics by plugins/live.ts.
 */

/** Which limit refused something: the `limit` label of `queuescope_live_refused_total`. */
export const LIVE_LIMITS = ['connections', 'subscribes', 'filters', 'buffer'] as const;
export type LiveLimit = (typeof LIVE_LIMITS)[number];

/** Counts of one collector process's live stream. */
export class LiveCounters {
  /** WebSockets open now. */
  open = 0;
  /** Things refused, by limit: upgrades, subscribe messages, new filters, frames that did not fit. */
  readonly refused: Record<LiveLimit, number> = { connections: 0, subscribes: 0, filters: 0, buffer: 0 };
  /** Ticks not sent because the socket's send buffer was full (the next tick re-sends their seconds). */
  skippedTicks = 0;
}

/**
 * At most `max` events per `windowMs`, per owner (a sliding log of the last `max` times). Used for
 * the subscribe messages of one WebSocket.
 */
export class RateWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Count one event at `now` (epoch ms); false when it is one too many for the window. */
  take(now = Date.now()): boolean {
    while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
    if (this.times.length >= this.max) return false;
    this.times.push(now);
    return true;
  }
}
