import { Task, initialState } from '@lit/task';
import { LitElement, html, nothing } from 'lit';
import type uPlot from 'uplot';
import type { ConcurrencyChange, RunDiagnosis, RunSummary, TimeSeries, TimeseriesMetric } from '@queuescope/contracts';
import { api } from '../../api/client.js';
import type { ChartMarker, ChartSeries, ChartThreshold } from '../../components/qs-chart/qs-chart.component.js';
import { VERDICT_TEXT, fmtElapsed, fmtMs, fmtNum, fmtTime } from '../../format.js';
import { href } from '../../routes.js';
import { readTune } from '../../tune.js';
import { ChangeTimeline, NO_CHANGES, asError, loadPreviousRound, type PreviousRound } from './run-changes.js';
import { colorAt } from '../colors.js';
import styles from '../page.styles.js';

/** Queue-side charts: which time series, which `<queue>.<stat>` columns, and which SLO lines. */
const QUEUE_CHARTS: { metric: TimeseriesMetric; stat: string; label: string; unit: string; slo?: 'p95Ms' | 'p99Ms' }[] = [
  { metric: 'latency', stat: 'p95', label: 'Latency p95 per queue', unit: 'ms', slo: 'p95Ms' },
  { metric: 'latency', stat: 'p99', label: 'Latency p99 per queue', unit: 'ms', slo: 'p99Ms' },
  { metric: 'throughput', stat: 'rate', label: 'Finished jobs per queue', unit: 'jobs/s' },
  { metric: 'wait', stat: 'p95', label: 'Wait p95 per queue (enqueued → first start)', unit: 'ms' },
  { metric: 'retries', stat: 'rate', label: 'Retries per queue', unit: 'per s' },
  { metric: 'failures', stat: 'rate', label: 'Failed jobs per queue', unit: 'per s' },
  { metric: 'depth', stat: 'waiting', label: 'Waiting jobs per queue', unit: 'jobs' },
];
const METRICS = [...new Set<TimeseriesMetric>([...QUEUE_CHARTS.map((c) => c.metric), 'load'])];

type Series = Partial<Record<TimeseriesMetric, TimeSeries | Error>>;

/** The columns `<queue>.<stat>` of a time series as uPlot data, one line per queue in the summary's order. */
function byQueue(ts: TimeSeries, stat: string, queues: string[], summary: RunSummary, slo?: 'p95Ms' | 'p99Ms') {
  const present = queues.filter((q) => `${q}.${stat}` in ts.series);
  const series: ChartSeries[] = present.map((q) => ({ label: q, color: colorAt(queues.indexOf(q)) }));
  const thresholds: ChartThreshold[] = [];
  if (slo)
    present.forEach((q, i) => {
      const target = summary.queues.find((s) => s.queue === q)?.slo.target;
      if (target) thresholds.push({ value: target[slo], label: `${q} SLO ${target[slo]} ms`, series: i + 1 });
    });
  const data = [ts.ts.map((t) => t / 1000), ...present.map((q) => ts.series[`${q}.${stat}`]!)] as uPlot.AlignedData;
  return { series, data, thresholds };
}

/** Whether a series holds any value at all (a look-up, to hide client charts of runs without load data). */
const hasValues = (values: (number | null)[] | undefined): boolean => !!values?.some((v) => v !== null);

/**
 * One run: verdict, exports, the per-queue summary with SLO verdicts, the client side, the diagnosis,
 * and charts over the run's time range (queue side from the time series API, client side from the
 * run's load time series). The diagnosis, which carries the summary, is one request; the charts
 * load after it, each at the step the collector picks for the run's length (`step=auto`), with the
 * run's concurrency changes (one request) as markers on every chart and listed below them. A run
 * of `loadtest --tune` opens with its tune story; for a re-run, two more requests read the previous
 * round's summary (the verdicts before) and its changes (those applied between the rounds, shown
 * with this run's own).
 */
export class QsRunPage extends LitElement {
  static override styles = styles;
  static override properties = { runId: { type: String } };

  runId = '';

  private readonly core = new Task(this, {
    task: ([runId], { signal }): Promise<RunDiagnosis> => api.diagnosis(runId, signal),
    args: () => [this.runId] as const,
  });

  /** Starts once the run is known to exist (no burst of 404s for a wrong link). */
  private readonly charts = new Task(this, {
    task: async ([runId], { signal }) => {
      if (!runId) return initialState;
      const settled = await Promise.allSettled(METRICS.map((m) => api.timeseries(runId, m, signal)));
      if (signal.aborted) throw signal.reason;
      const out: Series = {};
      METRICS.forEach((m, i) => {
        const r = settled[i]!;
        out[m] = r.status === 'fulfilled' ? r.value : r.reason instanceof Error ? r.reason : new Error(String(r.reason));
      });
      return out;
    },
    args: () => [this.core.value ? this.runId : ''] as const,
  });

  /**
   * The run's concurrency changes (tagged with it, or made while it ran): one request, once the run
   * is known to exist; a collector without the route reads as no changes.
   */
  private readonly changes = new Task(this, {
    task: async ([runId], { signal }): Promise<ConcurrencyChange[] | Error | typeof initialState> =>
      runId ? api.concurrencyChanges(runId, signal).then((r) => r.changes, asError(signal)) : initialState,
    args: () => [this.core.value ? this.runId : ''] as const,
  });

  /** A re-run of `loadtest --tune` only: the previous round's summary and the changes applied between the rounds. */
  private readonly previous = new Task(this, {
    task: async ([previousRunId, startedAt], { signal }): Promise<PreviousRound | typeof initialState> =>
      previousRunId ? loadPreviousRound(previousRunId, startedAt, signal) : initialState,
    args: () => [readTune(this.core.value?.run.config)?.previousRunId ?? '', this.core.value?.run.startedAt ?? ''] as const,
  });

  private readonly timeline = new ChangeTimeline();

  private refresh(): void {
    void this.core.run();
    void this.charts.run();
    void this.changes.run();
    void this.previous.run();
  }

  private header(s: RunSummary) {
    const r = s.run;
    return html`
      <h1 tabindex="-1">${r.name}</h1>
      <p class="meta">
        Scenario ${r.scenario ?? '–'} · engine ${r.engine ?? '–'} · ${r.status} · started ${fmtTime(r.startedAt)} ·
        ${r.endedAt ? html`ended ${fmtTime(r.endedAt)} · duration ${fmtElapsed(r.startedAt, r.endedAt)}` : html`running for ${fmtElapsed(r.startedAt, null)}`}
        · ${s.jobs} jobs · id
        <code>${r.id}</code>
      </p>
      <p>Overall SLO verdict: <strong class=${`verdict verdict--${s.verdict}`}>${VERDICT_TEXT[s.verdict]}</strong></p>
      <div class="actions">
        <a class="button" href=${api.summaryUrl(r.id)} download=${`run-${r.id}-summary.json`}>Download summary (JSON)</a>
        <a class="button" href=${api.eventsExportUrl(r.id, 'csv')} download>Download events (CSV)</a>
        <a class="button" href=${api.eventsExportUrl(r.id, 'json')} download>Download events (JSON)</a>
        <button type="button" @click=${this.refresh}>Refresh</button>
        <a href=${href.runs()}>All runs</a>
      </div>
    `;
  }

  private client(s: RunSummary) {
    const c = s.client.summary;
    const t = s.client.perSecond[0];
    if (!c && !t)
      return html`<h2>Client side</h2>
        <p class="muted">No load-generator numbers were posted for this run.</p>`;
    return html`<h2>Client side${c ? ` (${c.source})` : t ? ` (${t.source})` : ''}</h2>
      <div class="stats" role="group" aria-label="Client side">
        <qs-stat label="HTTP requests">${String(c?.requests ?? t?.requests ?? '–')}</qs-stat>
        <qs-stat label="requests" unit="/s">${fmtNum(c?.reqPerSec ?? t?.reqPerSec, 0)}</qs-stat>
        <qs-stat label="errors">${String(c?.errors ?? t?.errors ?? '–')}</qs-stat>
        ${t ? html`<qs-stat label="peak virtual users">${String(t.peakVus)}</qs-stat>` : nothing}
        ${
          c
            ? html`<qs-stat label="HTTP p50" unit="ms">${fmtMs(c.p50Ms)}</qs-stat>
                <qs-stat label="HTTP p95" unit="ms">${fmtMs(c.p95Ms)}</qs-stat>
                <qs-stat label="HTTP p99" unit="ms">${fmtMs(c.p99Ms)}</qs-stat>`
            : html`<qs-stat label="worst-second HTTP p95" unit="ms">${fmtMs(t?.worstSecondP95Ms)}</qs-stat>
                <qs-stat label="worst-second HTTP p99" unit="ms">${fmtMs(t?.worstSecondP99Ms)}</qs-stat>`
        }
      </div>`;
  }

  private chartGrid(summary: RunSummary, series: Series | undefined, markers: ChartMarker[]) {
    const queues = summary.queues.map((q) => q.queue);
    const sync = `run-${summary.run.id}`;
    const load = series?.load;
    const loadOk = load instanceof Error ? undefined : load;
    const xs = loadOk ? loadOk.ts.map((t) => t / 1000) : [];
    const showLoad = !!loadOk && (hasValues(loadOk.series['client.rps']) || hasValues(loadOk.series['client.p95']));
    return html`<div class="grid">
        ${QUEUE_CHARTS.map((c) => {
          const ts = series?.[c.metric];
          if (ts instanceof Error)
            return html`<div class="panel">
              <h3>${c.label}</h3>
              <p class="error">Could not load: ${ts.message}</p>
            </div>`;
          if (!ts) return html`<qs-chart label=${c.label} unit=${c.unit} pending></qs-chart>`;
          const d = byQueue(ts, c.stat, queues, summary, c.slo);
          return html`<qs-chart
            label=${c.label}
            unit=${c.unit}
            sync=${sync}
            .series=${d.series}
            .data=${d.data}
            .thresholds=${d.thresholds}
            .markers=${markers}
          ></qs-chart>`;
        })}
        ${
          showLoad
            ? html`<qs-chart
                  label="Client requests and virtual users"
                  sync=${sync}
                  .series=${[
                    { label: 'requests/s', color: colorAt(0) },
                    { label: 'VUs', color: colorAt(1) },
                    { label: 'errors/s', color: colorAt(6) },
                  ]}
                  .data=${[xs, loadOk.series['client.rps'] ?? [], loadOk.series['client.vus'] ?? [], loadOk.series['client.errors'] ?? []] as uPlot.AlignedData}
                  .markers=${markers}
                ></qs-chart>
                <qs-chart
                  label="Client HTTP latency (worst second in each bucket)"
                  unit="ms"
                  sync=${sync}
                  .series=${[
                    { label: 'p95', color: colorAt(0) },
                    { label: 'p99', color: colorAt(1) },
                  ]}
                  .data=${[xs, loadOk.series['client.p95'] ?? [], loadOk.series['client.p99'] ?? []] as uPlot.AlignedData}
                  .markers=${markers}
                ></qs-chart>`
            : nothing
        }
      </div>
      ${load instanceof Error ? html`<p class="error">Client time series could not be loaded: ${load.message}</p>` : nothing}
      ${loadOk && !showLoad ? html`<p class="muted">No per-second client numbers were stored for this run.</p>` : nothing}`;
  }

  /** The concurrency changes under the charts; nothing while loading or when there are none. */
  private changeList(changes: ConcurrencyChange[], failed: Error | undefined) {
    return html`${
      changes.length
        ? html`<h2>Concurrency changes</h2>
            <qs-concurrency-changes .changes=${changes}></qs-concurrency-changes>`
        : nothing
    }
    ${failed ? html`<p class="muted">Concurrency changes could not be loaded: ${failed.message}</p>` : nothing}`;
  }

  private page(diagnosis: RunDiagnosis) {
    const { summary } = diagnosis;
    const tune = readTune(diagnosis.run.config);
    const own = this.changes.value;
    const previous = this.previous.value;
    const { changes, markers } = this.timeline.of(Array.isArray(own) ? own : NO_CHANGES, previous?.between ?? NO_CHANGES);
    return html`
      ${this.header(summary)}
      ${tune ? html`<qs-tune-story .tune=${tune} .current=${summary} .previous=${previous?.summary}></qs-tune-story>` : nothing}
      <h2>Summary</h2>
      ${summary.queues.length ? html`<qs-summary-table .queues=${summary.queues}></qs-summary-table>` : html`<div class="empty">No events stored for this run.</div>`}
      ${this.client(summary)}
      <h2>Diagnosis</h2>
      <qs-diagnosis .diagnosis=${diagnosis}></qs-diagnosis>
      <h2>Over time</h2>
      <p class="meta">
        From the run's start to its end${summary.run.endedAt ? '' : ' (now: the run is still going)'}; dashed lines: SLO
        targets${markers.length ? html`; dark dashed verticals: concurrency changes (listed below)` : ''}.
      </p>
      ${this.chartGrid(summary, this.charts.value, markers)} ${this.changeList(changes, own instanceof Error ? own : undefined)}
    `;
  }

  override render() {
    return this.core.render({
      initial: () => nothing,
      // A refresh keeps the page on screen while the new numbers load.
      pending: () =>
        this.core.value
          ? this.page(this.core.value)
          : html`<h1 tabindex="-1">Run</h1>
              <p class="muted" role="status">Loading run ${this.runId} …</p>`,
      error: (e) =>
        html`<h1 tabindex="-1">Run</h1>
          <p class="error" role="alert">${e instanceof Error ? e.message : String(e)}</p>
          <p><a href=${href.runs()}>All runs</a></p>`,
      complete: (v) => this.page(v),
    });
  }
}
