import { LitElement, html, nothing } from 'lit';
import type uPlot from 'uplot';
import { LIVE_WINDOW_MS, LiveController } from '../../api/live-controller.js';
import type { LiveFrame } from '../../api/live-types.js';
import type { ChartMarker, ChartThreshold } from '../../components/qs-chart/qs-chart.component.js';
import { fmtBytes, fmtClock, fmtElapsed, fmtMs, fmtNum, fmtSeconds } from '../../format.js';
import { href } from '../../routes.js';
import { colorAt } from '../colors.js';
import styles from '../page.styles.js';
import { workerLines } from './worker-series.js';

/** The "+N others" line of the worker chart: grey, apart from the palette of named processes. */
const OTHERS_COLOR = '#9e9e9e';

/** With no stored event for this long, ms, the live tiles show the newest second as it is. */
const IDLE_AFTER_MS = 3000;

/**
 * Index of the newest second the tiles show: the newest one that ended before the newest stored
 * event, because the seconds after it are still filling (rates would read low). A look-up on the
 * time axis; the last second when the frame has no event time.
 */
function settledIndex(f: LiveFrame): number {
  const last = f.ts.length - 1;
  // No events for a while: the system is idle and the newest seconds are as complete as they get.
  if (f.newestEventTs === null || (f.ts[last] ?? 0) - f.newestEventTs > IDLE_AFTER_MS) return last;
  for (let i = last; i >= 0; i--) if (f.ts[i]! + 1000 <= f.newestEventTs) return i;
  return last;
}

/** How many seconds back a tile looks for a value (a quiet second has no percentile). */
const LOOK_BACK = 5;

/**
 * The newest non-null value at index `upto` or up to LOOK_BACK seconds before it: a look-up for
 * the number tiles, not a statistic. null (shown as '–') when the queue was quiet that long.
 */
function latest(values: (number | null)[] | undefined, upto: number): number | null {
  if (!values) return null;
  const from = Math.min(upto, values.length - 1);
  for (let i = from; i >= 0 && i > from - LOOK_BACK; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/** The live frame's epoch-ms axis as uPlot's epoch seconds. */
const seconds = (ts: number[]): number[] => ts.map((t) => t / 1000);

/**
 * The live view (issue 5): per queue throughput, latency p50/p95/p99 against the SLO, wait p95,
 * retries/s, failures/s and depth; Redis ops/s, memory and PING; the throughput of every worker
 * active in the window (the busiest 10 and "+N others" beyond that); the
 * active run with its scenario, elapsed time and VUs; run start/end markers on the charts. Data is
 * the LiveController's merged frame; every number in it comes from the collector's SQL.
 */
export class QsLivePage extends LitElement {
  static override styles = styles;

  /** The live stream (public: browser tests read `live.frame`). */
  readonly live = new LiveController(this);
  private clock: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    // The elapsed-time clock of the active run ticks even when the stream is quiet.
    this.clock = setInterval(() => this.requestUpdate(), 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.clock);
  }

  private connection() {
    if (this.live.status === 'unauthorized')
      return html`<p class="banner" role="status">The collector requires an API token for the live stream: enter it above.</p>`;
    if (this.live.status === 'reconnecting')
      return html`<p class="banner" role="status">
        Live stream disconnected — reconnecting …${this.live.frame ? ' The charts show the last data received.' : ''}
      </p>`;
    if (this.live.error) return html`<p class="banner error" role="alert">Live stream: ${this.live.error}</p>`;
    return nothing;
  }

  private activeRun(f: LiveFrame) {
    const r = f.activeRun;
    if (!r)
      return html`<div class="panel muted">
        No load test running. Start one with <code>npm run demo</code> or <code>npm run loadtest -- --scenario light</code>.
      </div>`;
    return html`<section class="panel panel--active" aria-labelledby="active-run">
      <h2 id="active-run" class="sr-only">Active run</h2>
      <p>
        <strong>Running: <a href=${href.run(r.id)}>${r.name}</a></strong> — scenario <b>${r.scenario ?? '–'}</b>, engine ${r.engine ?? '–'},
        started ${fmtClock(Date.parse(r.startedAt))}
      </p>
      <p aria-live="polite">Elapsed <b>${fmtElapsed(r.startedAt, null)}</b> · virtual users <b>${r.vus ?? '–'}</b></p>
    </section>`;
  }

  private queue(q: string, f: LiveFrame, xs: number[], markers: ChartMarker[]) {
    const s = f.queues[q]!;
    const at = settledIndex(f);
    const slo = f.slo[q];
    const p95 = latest(s.p95, at);
    const p99 = latest(s.p99, at);
    const thresholds: ChartThreshold[] = slo
      ? [
          { value: slo.p95Ms, label: `SLO p95 ${slo.p95Ms} ms`, series: 2 },
          { value: slo.p99Ms, label: `SLO p99 ${slo.p99Ms} ms`, series: 3 },
        ]
      : [];
    const sync = `live-${q}`;
    return html`<section aria-labelledby=${`queue-${q}`}>
      <h2 id=${`queue-${q}`}>Queue ${q}</h2>
      <div class="stats" role="group" aria-live="polite" aria-label=${`${q}: newest second`}>
        <qs-stat label="throughput" unit="jobs/s">${fmtNum(latest(s.throughput, at), 0)}</qs-stat>
        <qs-stat label="latency p50" unit="ms">${fmtMs(latest(s.p50, at))}</qs-stat>
        <qs-stat
          label="latency p95"
          unit="ms"
          target=${slo ? `SLO ${slo.p95Ms} ms` : ''}
          ?breach=${!!slo && p95 !== null && p95 >= slo.p95Ms}
          >${fmtMs(p95)}</qs-stat
        >
        <qs-stat
          label="latency p99"
          unit="ms"
          target=${slo ? `SLO ${slo.p99Ms} ms` : ''}
          ?breach=${!!slo && p99 !== null && p99 >= slo.p99Ms}
          >${fmtMs(p99)}</qs-stat
        >
        <qs-stat label="wait p95" unit="ms">${fmtMs(latest(s.waitP95, at))}</qs-stat>
        <qs-stat label="retries" unit="/s">${fmtNum(latest(s.retries, at), 0)}</qs-stat>
        <qs-stat label="failures" unit="/s">${fmtNum(latest(s.failures, at), 0)}</qs-stat>
        <qs-stat label="waiting jobs">${fmtNum(latest(s.depth, at), 0)}</qs-stat>
      </div>
      <div class="grid">
        <qs-chart
          label=${`${q} latency`}
          unit="ms"
          sync=${sync}
          .series=${[
            { label: 'p50', color: colorAt(2) },
            { label: 'p95', color: colorAt(0) },
            { label: 'p99', color: colorAt(1) },
          ]}
          .data=${[xs, s.p50, s.p95, s.p99] as uPlot.AlignedData}
          .thresholds=${thresholds}
          .markers=${markers}
        ></qs-chart>
        <qs-chart
          label=${`${q} throughput`}
          unit="jobs/s"
          sync=${sync}
          .series=${[{ label: 'finished', color: colorAt(0) }]}
          .data=${[xs, s.throughput] as uPlot.AlignedData}
          .markers=${markers}
        ></qs-chart>
        <qs-chart
          label=${`${q} wait p95`}
          unit="ms"
          sync=${sync}
          .series=${[{ label: 'wait p95', color: colorAt(3) }]}
          .data=${[xs, s.waitP95] as uPlot.AlignedData}
          .markers=${markers}
        ></qs-chart>
        <qs-chart
          label=${`${q} retries and failures`}
          unit="per s"
          sync=${sync}
          .series=${[
            { label: 'retries', color: colorAt(5) },
            { label: 'failures', color: colorAt(6) },
          ]}
          .data=${[xs, s.retries, s.failures] as uPlot.AlignedData}
          .markers=${markers}
        ></qs-chart>
        <qs-chart
          label=${`${q} queue depth`}
          unit="waiting jobs"
          sync=${sync}
          .series=${[{ label: 'waiting', color: colorAt(4) }]}
          .data=${[xs, s.depth] as uPlot.AlignedData}
          .markers=${markers}
        ></qs-chart>
      </div>
    </section>`;
  }

  private workers(f: LiveFrame, xs: number[], markers: ChartMarker[]) {
    const lines = workerLines(f.workers);
    const processes = lines.filter((l) => !l.others).length;
    const others = lines.find((l) => l.others);
    const span = fmtSeconds(LIVE_WINDOW_MS / 1000);
    return html`<section aria-labelledby="workers">
      <h2 id="workers">Workers (${others ? `${processes} busiest shown, ${others.label}` : processes})</h2>
      ${
        lines.length === 0
          ? html`<p class="muted">No worker finished a job in the last ${span}.</p>`
          : html`<qs-chart
              label=${`Jobs finished per worker process (host:pid), processes active in the last ${span}`}
              unit="jobs/s"
              .series=${lines.map((l, i) => ({ label: l.label, color: l.others ? OTHERS_COLOR : colorAt(i) }))}
              .data=${[xs, ...lines.map((l) => l.values)] as uPlot.AlignedData}
              .markers=${markers}
            ></qs-chart>`
      }
    </section>`;
  }

  private redis(f: LiveFrame, xs: number[]) {
    const r = f.redis;
    const at = f.ts.length - 1;
    return html`<section aria-labelledby="redis">
      <h2 id="redis">Redis</h2>
      <div class="stats" role="group" aria-live="polite" aria-label="Redis: newest second">
        <qs-stat label="operations" unit="/s">${fmtNum(latest(r.opsPerSec, at), 0)}</qs-stat>
        <qs-stat label="used memory">${fmtBytes(latest(r.usedMemoryBytes, at))}</qs-stat>
        <qs-stat label="PING" unit="ms">${fmtMs(latest(r.pingMs, at))}</qs-stat>
      </div>
      <div class="grid">
        <qs-chart
          label="Redis operations"
          unit="ops/s"
          sync="live-redis"
          .series=${[{ label: 'ops/s', color: colorAt(0) }]}
          .data=${[xs, r.opsPerSec] as uPlot.AlignedData}
        ></qs-chart>
        <qs-chart
          label="Redis used memory"
          unit="bytes"
          sync="live-redis"
          .series=${[{ label: 'used', color: colorAt(1) }]}
          .data=${[xs, r.usedMemoryBytes] as uPlot.AlignedData}
        ></qs-chart>
        <qs-chart
          label="Redis PING"
          unit="ms"
          sync="live-redis"
          .series=${[{ label: 'PING', color: colorAt(2) }]}
          .data=${[xs, r.pingMs] as uPlot.AlignedData}
        ></qs-chart>
      </div>
    </section>`;
  }

  override render() {
    const f = this.live.frame;
    if (!f)
      return html`<h1 tabindex="-1">Live</h1>
        ${this.connection()}
        ${this.live.status === 'unauthorized' ? nothing : html`<p class="muted" role="status">Connecting to the live stream …</p>`}`;
    const xs = seconds(f.ts);
    const markers = f.runMarkers.map((m) => ({ x: m.ts / 1000, label: `${m.kind === 'start' ? '▶' : '■'} ${m.name}` }));
    const queues = Object.keys(f.queues).sort();
    return html`
      <h1 tabindex="-1">Live</h1>
      <p class="meta">
        Last ${fmtSeconds(LIVE_WINDOW_MS / 1000)}, one point per second · newest stored event ${fmtClock(f.newestEventTs)} · dotted lines:
        run start ▶ / end ■
      </p>
      ${this.connection()} ${this.activeRun(f)}
      ${queues.length === 0 ? html`<div class="empty">No job events in the last ${fmtSeconds(LIVE_WINDOW_MS / 1000)} — run <code>npm run demo</code>.</div>` : queues.map((q) => this.queue(q, f, xs, markers))}
      ${this.workers(f, xs, markers)} ${this.redis(f, xs)}
    `;
  }
}
