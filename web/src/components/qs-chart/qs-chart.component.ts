import { LitElement, html, type PropertyValues } from 'lit';
import uPlot from 'uplot';
import styles from './qs-chart.styles.js';

/** Axis labels: 1.2k, 3.4M, 2.1G (display formatting only). */
function compact(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${+(v / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

export interface ChartLine {
  label: string;
  color: string;
}

/**
 * One uPlot chart (STYLE R14): columnar data in (`[xs in seconds, ...ys]`, nulls for gaps), built
 * once in `firstUpdated`, `setData` on change, `setSize` from a ResizeObserver, destroyed on
 * disconnect. It draws what it is given — horizontal SLO lines, vertical run markers, and breach
 * points where a value lies above a line — and computes nothing.
 */
export class QsChart extends LitElement {
  static override styles = styles;
  static override properties = {
    label: { type: String },
    unit: { type: String },
    lines: { attribute: false },
    data: { attribute: false },
    thresholds: { attribute: false },
    markers: { attribute: false },
  };

  label = '';
  unit = '';
  lines: ChartLine[] = [];
  data: uPlot.AlignedData = [[]];
  /** Horizontal lines, e.g. SLO targets, in the chart's unit. */
  thresholds: { value: number; label: string }[] = [];
  /** Vertical lines, e.g. run start / end, x in seconds. */
  markers: { x: number; label: string }[] = [];

  private plot: uPlot | undefined;
  private resize: ResizeObserver | undefined;

  override render() {
    return html`<h3>${this.label}${this.unit ? html` <small>(${this.unit})</small>` : ''}</h3>
      <div class="plot" role="img" aria-label=${`${this.label} chart`}></div>`;
  }

  protected override firstUpdated(): void {
    const el = this.renderRoot.querySelector<HTMLDivElement>('.plot')!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 170,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { size: 56, values: (_u, ticks) => ticks.map(compact) }],
      series: [{}, ...this.lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.5, spanGaps: false }))],
      hooks: { draw: [(u) => this.drawOverlays(u)] },
    };
    this.plot = new uPlot(opts, this.data, el);
    this.resize = new ResizeObserver(() => this.plot?.setSize({ width: Math.max(200, el.clientWidth), height: 170 }));
    this.resize.observe(el);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (this.plot && (changed.has('data') || changed.has('thresholds') || changed.has('markers'))) this.plot.setData(this.data);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  private drawOverlays(u: uPlot): void {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    for (const t of this.thresholds) {
      const y = u.valToPos(t.value, 'y', true);
      if (y < top || y > top + height) continue;
      ctx.strokeStyle = '#b3261e';
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.fillStyle = '#b3261e';
      ctx.font = `${11 * devicePixelRatio}px sans-serif`;
      ctx.fillText(t.label, left + 4, y - 4);
    }
    ctx.setLineDash([]);
    // Run markers: thin dotted lines; only the newest few carry their label, so many short runs stay readable.
    ctx.setLineDash([2, 3]);
    ctx.lineWidth = 1 * devicePixelRatio;
    this.markers.forEach((m, i) => {
      const x = u.valToPos(m.x, 'x', true);
      if (x < left || x > left + width) return;
      ctx.strokeStyle = 'rgba(36, 86, 199, 0.55)';
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      if (i >= this.markers.length - 2) {
        ctx.fillStyle = '#2456c7';
        ctx.font = `${10 * devicePixelRatio}px sans-serif`;
        ctx.fillText(m.label.slice(0, 24), x + 3, top + 11 * devicePixelRatio);
      }
    });
    ctx.setLineDash([]);
    ctx.lineWidth = 1.5 * devicePixelRatio;
    // Breach points: values above the lowest threshold, marked with a red ring (display only).
    const limit = this.thresholds.length ? Math.min(...this.thresholds.map((t) => t.value)) : undefined;
    if (limit !== undefined) {
      ctx.strokeStyle = '#b3261e';
      for (let s = 1; s < u.data.length; s++) {
        const ys = u.data[s]!;
        for (let i = 0; i < ys.length; i++) {
          const v = ys[i];
          if (v === null || v === undefined || v <= limit) continue;
          ctx.beginPath();
          ctx.arc(u.valToPos(u.data[0]![i]!, 'x', true), u.valToPos(v, 'y', true), 4 * devicePixelRatio, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
    }
    ctx.restore();
  }
}
