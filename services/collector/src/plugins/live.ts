import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { LIVE_LIMITS, LiveCounters } from '../live/limits.js';
import { LiveTicker } from '../live/ticker.js';

declare module 'fastify' {
  interface FastifyInstance {
    ticker: LiveTicker;
    /** Open live sockets and what the live limits refused, in this process (routes/live.ts counts). */
    liveCounters: LiveCounters;
  }
}

/**
 * Decorates `ticker`, the one per-second SQL tick every live dashboard shares, and `liveCounters`;
 * exports both to /metrics.
 */
export default fp(
  async (app: FastifyInstance) => {
    const ticker = new LiveTicker(app.db, app.config, app.log.child({ component: 'live' }));
    const counters = new LiveCounters();
    app.decorate('ticker', ticker);
    app.decorate('liveCounters', counters);
    let reportedSql = 0;
    new Counter({
      name: 'queuescope_live_sql_queries_total',
      help: 'SQL statements issued by the live stream (independent of the number of dashboards)',
      registers: [app.metrics],
      collect() {
        this.inc(ticker.sqlQueries - reportedSql);
        reportedSql = ticker.sqlQueries;
      },
    });
    new Gauge({
      name: 'queuescope_live_subscribers',
      help: 'Open live dashboards (WebSocket subscribers)',
      registers: [app.metrics],
      collect() {
        this.set(ticker.subscriberCount);
      },
    });
    new Gauge({
      name: 'queuescope_live_connections',
      help: 'Open live WebSockets (limit COLLECTOR_WS_MAX_CONNECTIONS)',
      registers: [app.metrics],
      collect() {
        this.set(counters.open);
      },
    });
    new Gauge({
      name: 'queuescope_live_filters',
      help: 'Distinct run filters the live ticker queries every second (limit COLLECTOR_LIVE_MAX_FILTERS)',
      registers: [app.metrics],
      collect() {
        this.set(ticker.filterCount);
      },
    });
    const reportedRefused = Object.fromEntries(LIVE_LIMITS.map((l) => [l, 0])) as Record<(typeof LIVE_LIMITS)[number], number>;
    new Counter({
      name: 'queuescope_live_refused_total',
      help: 'Live requests refused by a limit: connections (upgrade 503), subscribes (socket closed 1008), filters (error frame), buffer (socket closed 1013)',
      labelNames: ['limit'] as const,
      registers: [app.metrics],
      collect() {
        for (const limit of LIVE_LIMITS) {
          this.inc({ limit }, counters.refused[limit] - reportedRefused[limit]);
          reportedRefused[limit] = counters.refused[limit];
        }
      },
    });
    let reportedSkipped = 0;
    new Counter({
      name: 'queuescope_live_ticks_skipped_total',
      help: 'Live ticks not sent because a socket had COLLECTOR_WS_MAX_BUFFERED_BYTES unsent',
      registers: [app.metrics],
      collect() {
        this.inc(counters.skippedTicks - reportedSkipped);
        reportedSkipped = counters.skippedTicks;
      },
    });
    app.addHook('onClose', async () => {
      await ticker.close();
    });
  },
  { name: 'live', dependencies: ['config', 'questdb', 'metrics'] },
);
