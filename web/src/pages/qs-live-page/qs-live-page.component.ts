import { LitElement, html } from 'lit';
import type uPlot from 'uplot';
import { LiveController } from '../../api/live-controller.js';
import type { LiveFrame } from '../../api/live-types.js';
import { fmtMs, fmtNum } from '../../format.js';
import { PALETTE } from '../colors.js';
import styles from '../page.styles.js';

/** Latest non-null value of a series (display only). */
function latest(values: (number | null)[] | undefined): number | null {
  if (!values) return null;
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i]!;
  return null;
}

/** Live view: per-queue charts and numbers, Redis health, per-worker throughput, the active run. */
export class QsLivePage extends LitElement {
  static override styles = styles;
  readonly live = new LiveController(this);
  private clock: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.clock = setInterval(() => this.requestUpdate(), 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.clock);
  }

  override render() {
    const f = this.live.frame;
    if (!f) return html`<h1>Live</h1><p class="muted" role="status">${this.live.error ?? 'Connecting to the live stream …'}</p>`;
    const xs = f.ts.map((t) => t / 1000);
    const markers = f.runMarkers.map((m) => ({ x: m.ts / 1000, label: `${m.kind === 'start' ? '▶' : '■'} ${m.name}` }));
    const queues = Object.keys(f.queues).sort();
    return html`
      <h1>Live</h1>
      ${this.runPanel(f)}
      ${this.live.error ? html`<p class="error" role="alert">${this.live.error}</p>` : ''}
      ${queues.map((q) => this.queueSection(q, f, xs, markers))}
      <h2>Workers</h2>
      <div class="grid">
        <qs-chart label="Jobs finished per worker" unit="jobs/s" .lines=${Object.keys(f.workers).map((w, i) => ({ label: w, color: PALETTE[i % PALETTE.length]! }))} .data=${[xs, ...Object.values(f.workers)] as uPlot.AlignedData} .markers=${markers}></qs-chart>
      </div>
      <h2>Redis</h2>
      <div class="stats" aria-live="polite">
        <div class="stat"><b>${fmtNum(latest(f.redis.opsPerSec), 0)}</b><span>ops/s</span></div>
        <div class="stat"><b>${fmtNum((latest(f.redis.usedMemoryBytes) ?? 0) / 1048576)}</b><span>used memory, MiB</span></div>
        <div class="stat"><b>${fmtMs(latest(f.redis.pingMs))}</b><span>PING, ms</span></div>
      </div>
      <div class="grid">
        <qs-chart label="Redis ops/s" .lines=${[{ label: 'ops/s', color: PALETTE[0]! }]} .data=${[xs, f.redis.opsPerSec] as uPlot.AlignedData}></qs-chart>
        <qs-chart label="Redis memory" unit="bytes" .lines=${[{ label: 'used', color: PALETTE[1]! }]} .data=${[xs, f.redis.usedMemoryBytes] as uPlot.AlignedData}></qs-chart>
        <qs-chart label="Redis PING" unit="ms" .lines=${[{ label: 'ping', color: PALETTE[2]! }]} .data=${[xs, f.redis.pingMs] as uPlot.AlignedData}></qs-chart>
      </div>
    `;
  }

  private runPanel(f: LiveFrame) {
    const r = f.activeRun;
    if (!r) return html`<div class="panel muted">No load test running. Start one with <code>npm run loadtest -- --scenario light</code>.</div>`;
    const elapsed = Math.max(0, Math.round((Date.now() - Date.parse(r.startedAt)) / 1000));
    return html`<div class="panel" aria-live="polite">
      <strong>Running: ${r.name}</strong> — scenario <b>${r.scenario ?? '–'}</b>, engine ${r.engine ?? '–'}, elapsed <b>${elapsed} s</b>, VUs <b>${r.vus ?? '–'}</b>
      · <a href=${`#/runs/${encodeURIComponent(r.id)}`}>run details</a>
    </div>`;
  }

  private queueSection(q: string, f: LiveFrame, xs: number[], markers: { x: number; label: string }[]) {
    const s = f.queues[q]!;
    const slo = f.slo[q];
    const p95 = latest(s.p95);
    const p99 = latest(s.p99);
    return html`
      <h2>${q}</h2>
      <div class="stats" aria-live="polite">
        <div class="stat"><b>${fmtNum(latest(s.throughput), 0)}</b><span>jobs/s</span></div>
        <div class="stat"><b>${fmtMs(latest(s.p50))}</b><span>latency p50, ms</span></div>
        <div class=${`stat ${slo && p95 !== null && p95 >= slo.p95Ms ? 'breach' : ''}`}><b>${fmtMs(p95)}</b><span>latency p95, ms${slo ? ` (SLO ${slo.p95Ms})` : ''}</span></div>
        <div class=${`stat ${slo && p99 !== null && p99 >= slo.p99Ms ? 'breach' : ''}`}><b>${fmtMs(p99)}</b><span>latency p99, ms${slo ? ` (SLO ${slo.p99Ms})` : ''}</span></div>
        <div class="stat"><b>${fmtMs(latest(s.waitP95))}</b><span>wait p95, ms</span></div>
        <div class="stat"><b>${fmtNum(latest(s.retries), 0)}</b><span>retries/s</span></div>
        <div class="stat"><b>${fmtNum(latest(s.failures), 0)}</b><span>failures/s</span></div>
        <div class="stat"><b>${fmtNum(latest(s.depth), 0)}</b><span>waiting jobs</span></div>
      </div>
      <div class="grid">
        <qs-chart data-metric=${`${q}.latency`} label=${`${q} latency`} unit="ms" .lines=${[{ label: 'p50', color: PALETTE[2]! }, { label: 'p95', color: PALETTE[0]! }, { label: 'p99', color: PALETTE[1]! }]}
          .data=${[xs, s.p50, s.p95, s.p99] as uPlot.AlignedData} .thresholds=${slo ? [{ value: slo.p95Ms, label: `SLO p95 ${slo.p95Ms}` }, { value: slo.p99Ms, label: `SLO p99 ${slo.p99Ms}` }] : []} .markers=${markers}></qs-chart>
        <qs-chart label=${`${q} throughput`} unit="jobs/s" .lines=${[{ label: 'finished', color: PALETTE[0]! }]} .data=${[xs, s.throughput] as uPlot.AlignedData} .markers=${markers}></qs-chart>
        <qs-chart label=${`${q} wait p95`} unit="ms" .lines=${[{ label: 'wait p95', color: PALETTE[3]! }]} .data=${[xs, s.waitP95] as uPlot.AlignedData} .markers=${markers}></qs-chart>
        <qs-chart label=${`${q} retries and failures`} unit="per s" .lines=${[{ label: 'retries', color: PALETTE[5]! }, { label: 'failures', color: PALETTE[6]! }]} .data=${[xs, s.retries, s.failures] as uPlot.AlignedData} .markers=${markers}></qs-chart>
        <qs-chart label=${`${q} queue depth`} unit="waiting jobs" .lines=${[{ label: 'waiting', color: PALETTE[4]! }]} .data=${[xs, s.depth] as uPlot.AlignedData} .markers=${markers}></qs-chart>
      </div>
    `;
  }
}
