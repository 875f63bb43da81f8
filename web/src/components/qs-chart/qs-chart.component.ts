import { LitElement, html, nothing, type PropertyValues } from 'lit';
import uPlot from 'uplot';
import styles from './qs-chart.styles.js';

/** One line of the chart: its legend label and colour. */
export interface ChartSeries {
  label: string;
  color: string;
}

/** A horizontal target line (e.g. an SLO), in the chart's unit. */
export interface ChartThreshold {
  value: number;
  label: string;
  /** Index in `data` (1 = first y column) of the series this target judges; every series when absent. */
  series?: number;
}

/**
 * A vertical line at `x` (seconds, same axis as `data[0]`).
 * - `run` (the default): a run's start or end; dotted, only the newest two labelled, left out when
 *   outside the plotted range.
 * - `change`: a setting changed at that moment (a queue's concurrency); dashed, every one labelled;
 *   one outside the plotted range is drawn on the nearer edge with ◀ or ▶, so a change made just
 *   before or after the data still shows.
 */
export interface ChartMarker {
  x: number;
  label: string;
  kind?: 'run' | 'change';
}

const FAIL = '#b3261e';
const MARKER = '#2456c7';
const CHANGE = '#37474f';

/** Axis labels: 1.2k, 3.4M, 2.1G (display formatting only). */
function compact(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

/**
 * One uPlot chart (STYLE R14). Columnar data in — `[xs, ...ys]`, xs in seconds (epoch seconds, or
 * seconds since a start with `elapsed`), nulls for gaps — built once in `firstUpdated`, `setData`
 * on change, `setSize` from a ResizeObserver, destroyed on disconnect; rebuilt only when the set of
 * series changes (uPlot's series are fixed at construction). It draws what it is given: dashed
 * threshold lines, vertical markers (dotted for runs, dashed for changes; their labels are also a
 * visually hidden list, and the plot's `data-drawn-markers` says how many the last draw showed),
 * and a red triangle on every point at or above its series' threshold. It computes nothing from
 * the data.
 *
 * @property label - heading of the chart
 * @property unit - unit of the y values, shown after the heading
 * @property elapsed - x is seconds since a start instead of a clock time
 * @property sync - charts with the same key share the cursor (uPlot cursor sync)
 * @property pending - the data is still loading
 */
export class QsChart extends LitElement {
  static override styles = styles;
  static override properties = {
    label: { type: String },
    unit: { type: String },
    elapsed: { type: Boolean, reflect: true },
    height: { type: Number },
    sync: { type: String },
    pending: { type: Boolean },
    series: { attribute: false },
    data: { attribute: false },
    thresholds: { attribute: false },
    markers: { attribute: false },
  };

  label = '';
  unit = '';
  elapsed = false;
  /** Plot height in CSS pixels (the width follows the element). */
  height = 180;
  sync = '';
  pending = false;
  series: ChartSeries[] = [];
  data: uPlot.AlignedData = [[]];
  thresholds: ChartThreshold[] = [];
  markers: ChartMarker[] = [];

  private plot: uPlot | undefined;
  private builtFor = '';
  private resize: ResizeObserver | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    // Re-attached after a disconnect (the element was moved): build again.
    if (this.hasUpdated && !this.plot) this.attach();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.resize = undefined;
    this.plot?.destroy();
    this.plot = undefined;
    this.builtFor = '';
  }

  protected override firstUpdated(): void {
    this.attach();
  }

  private attach(): void {
    const el = this.plotElement();
    this.build(el);
    let width = el.clientWidth;
    this.resize = new ResizeObserver(() => {
      if (el.clientWidth === width) return;
      width = el.clientWidth;
      this.plot?.setSize({ width: Math.max(200, width), height: this.height });
    });
    this.resize.observe(el);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!this.plot) return;
    if (this.shapeKey() !== this.builtFor) this.build(this.plotElement());
    else if (changed.has('data')) this.plot.setData(this.data);
    else if (changed.has('thresholds') || changed.has('markers')) this.plot.redraw(false);
    if (changed.has('height')) this.plot.setSize({ width: Math.max(200, this.plotElement().clientWidth), height: this.height });
  }

  private plotElement(): HTMLDivElement {
    return this.renderRoot.querySelector<HTMLDivElement>('.plot')!;
  }

  /** What uPlot fixes at construction: the series and the kind of x axis. */
  private shapeKey(): string {
    return JSON.stringify([this.elapsed, this.sync, this.series]);
  }

  private build(el: HTMLDivElement): void {
    this.plot?.destroy();
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: this.height,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false }, ...(this.sync ? { sync: { key: this.sync } } : {}) },
      scales: {
        x: { time: !this.elapsed },
        y: { range: { min: { pad: 0.1, soft: 0, mode: 1 }, max: { pad: 0.1, soft: 1, mode: 2 } } },
      },
      axes: [
        this.elapsed ? { label: 'seconds since start', labelSize: 20, values: (_u, ticks) => ticks.map((t) => `${t} s`) } : {},
        { size: 56, values: (_u, ticks) => ticks.map(compact) },
      ],
      series: [
        this.elapsed ? { label: 'since start, s' } : {},
        ...this.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: false })),
      ],
      hooks: { draw: [(u) => this.drawOverlays(u)] },
    };
    this.plot = new uPlot(opts, this.data, el);
    this.builtFor = this.shapeKey();
  }

  private drawOverlays(u: uPlot): void {
    const ctx = u.ctx;
    const px = uPlot.pxRatio;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    // uPlot leaves the axis text alignment on the context.
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.font = `${11 * px}px system-ui, sans-serif`;

    // Thresholds: dashed horizontal lines; a target above the plotted range gets a label at the top edge.
    let above = 0;
    this.thresholds.forEach((t, i) => {
      const y = u.valToPos(t.value, 'y', true);
      ctx.fillStyle = FAIL;
      if (y < top) {
        above = i + 1;
        ctx.fillText(`↑ ${t.label}`, left + width - ctx.measureText(`↑ ${t.label}`).width - 4 * px, top + (12 + 12 * i) * px);
        return;
      }
      if (y > top + height) return;
      ctx.strokeStyle = FAIL;
      ctx.lineWidth = 1.5 * px;
      ctx.setLineDash([6 * px, 4 * px]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      // Labels on the lines for up to two targets, at alternate ends so close ones (p95, p99) stay
      // readable; with more, the caption above the chart names them.
      if (this.thresholds.length > 2) return;
      const w = ctx.measureText(t.label).width;
      ctx.fillText(t.label, i % 2 === 0 ? left + 4 * px : left + width - w - 4 * px, y - 4 * px);
    });

    // Run markers: thin dotted vertical lines; only the newest two carry their label, so many short runs stay readable.
    const runs = this.markers.filter((m) => m.kind !== 'change');
    let drawn = 0;
    ctx.setLineDash([2 * px, 3 * px]);
    ctx.lineWidth = px;
    ctx.strokeStyle = MARKER;
    ctx.fillStyle = MARKER;
    ctx.font = `${10 * px}px system-ui, sans-serif`;
    runs.forEach((m, i) => {
      const x = u.valToPos(m.x, 'x', true);
      if (x < left || x > left + width) return;
      this.vline(ctx, x, top, height);
      drawn++;
      if (i >= runs.length - 2) ctx.fillText(m.label.slice(0, 28), x + 3 * px, top + (i === runs.length - 1 ? 10 : 22) * px);
    });
    drawn += this.drawChanges(u, above);
    ctx.setLineDash([]);
    // What was drawn, for tests and tools that cannot read a canvas.
    this.plotElement().dataset['drawnMarkers'] = String(drawn);

    // Breach points: a filled triangle with a white rim on every value at or over its series' target.
    ctx.fillStyle = FAIL;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = px;
    const xs = u.data[0];
    for (const t of this.thresholds) {
      const indices = t.series === undefined ? u.data.map((_d, s) => s).slice(1) : [t.series];
      for (const s of indices) {
        const ys = u.data[s];
        if (!ys || u.series[s]?.show === false) continue;
        ys.forEach((v, i) => {
          if (v === null || v === undefined || v < t.value) return;
          const x = u.valToPos(xs[i]!, 'x', true);
          const y = u.valToPos(v, 'y', true);
          const r = 4.5 * px;
          ctx.beginPath();
          ctx.moveTo(x, y - r);
          ctx.lineTo(x + r, y + r * 0.8);
          ctx.lineTo(x - r, y + r * 0.8);
          ctx.closePath();
          ctx.fill();
          ctx.stroke();
        });
      }
    }
    ctx.restore();
  }

  private vline(ctx: CanvasRenderingContext2D, x: number, top: number, height: number): void {
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  }

  /**
   * Change markers: dashed lines, every one labelled on a white backing, the labels staggered over
   * three rows below the `rowsTaken` rows of threshold labels at the top, so changes close in time
   * stay readable; outside the plotted range, on the nearer edge with ◀ or ▶. Returns how many it drew.
   */
  private drawChanges(u: uPlot, rowsTaken: number): number {
    const ctx = u.ctx;
    const px = uPlot.pxRatio;
    const { left, top, width, height } = u.bbox;
    const changes = this.markers.filter((m) => m.kind === 'change');
    // No x range yet (no data): nowhere to place a line.
    if (typeof u.scales['x']?.min !== 'number' || typeof u.scales['x'].max !== 'number') return 0;
    ctx.setLineDash([5 * px, 3 * px]);
    ctx.lineWidth = 1.5 * px;
    ctx.strokeStyle = CHANGE;
    ctx.font = `${10 * px}px system-ui, sans-serif`;
    changes.forEach((m, i) => {
      const pos = u.valToPos(m.x, 'x', true);
      const before = pos < left;
      const after = pos > left + width;
      const x = before ? left + px : after ? left + width - px : pos;
      this.vline(ctx, x, top, height);
      const text = `${before ? '◀ ' : ''}${m.label.slice(0, 28)}${after ? ' ▶' : ''}`;
      const w = ctx.measureText(text).width;
      // Right of the line, unless that runs past the plot's right edge.
      const tx = x + 3 * px + w > left + width ? x - 3 * px - w : x + 3 * px;
      const ty = top + (12 + 12 * rowsTaken + 12 * (i % 3)) * px;
      ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
      ctx.fillRect(tx - px, ty - 10 * px, w + 2 * px, 13 * px);
      ctx.fillStyle = CHANGE;
      ctx.fillText(text, tx, ty);
    });
    return changes.length;
  }

  override render() {
    const empty = this.data[0].length === 0;
    return html`<figure>
      <figcaption>
        <h3>${this.label}${this.unit ? html` <small>(${this.unit})</small>` : nothing}</h3>
        ${
          this.thresholds.length
            ? html`<p class="targets">
                <span class="dash" aria-hidden="true"></span>${this.thresholds.map((t) => t.label).join(' · ')}
                <span class="breach-key">▲ at or over target</span>
              </p>`
            : nothing
        }
      </figcaption>
      <div
        class="plot"
        role="img"
        aria-label=${`${this.label}${this.unit ? ` in ${this.unit}` : ''}: ${this.series.map((s) => s.label).join(', ')}`}
      ></div>
      ${
        this.markers.length
          ? html`<ul class="sr-only" aria-label="Markers">
              ${this.markers.map((m) => html`<li>${m.label}</li>`)}
            </ul>`
          : nothing
      }
      ${this.pending ? html`<p class="empty" role="status">Loading …</p>` : empty ? html`<p class="empty">No data in this window.</p>` : nothing}
    </figure>`;
  }
}
