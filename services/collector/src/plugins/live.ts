import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { LiveTicker } from '../live/ticker.js';

declare module 'fastify' {
  interface FastifyInstance {
    ticker: LiveTicker;
  }
}

/** Decorates `ticker`, the one per-second SQL tick every live dashboard shares; exports its cost to /metrics. */
export default fp(
  async (app: FastifyInstance) => {
    const ticker = new LiveTicker(app.db, app.config, app.log.child({ component: 'live' }));
    app.decorate('ticker', ticker);
    let reported = 0;
    new Counter({
      name: 'queuescope_live_sql_queries_total',
      help: 'SQL statements issued by the live stream (independent of the number of dashboards)',
      registers: [app.metrics],
      collect() {
        this.inc(ticker.sqlQueries - reported);
        reported = ticker.sqlQueries;
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
    app.addHook('onClose', async () => {
      await ticker.close();
    });
  },
  { name: 'live', dependencies: ['config', 'questdb', 'metrics'] },
);
