/**
 * A run's concurrency changes for the run page: its own (tagged with it, or made while it ran) and,
 * for a re-run of `loadtest --tune`, those applied between the previous round and this run. Tune
 * tags its changes with the run it diagnosed, so those are the previous run's changes made after it
 * ended and before this run started.
 */
import type { ConcurrencyChange, RunSummary } from '@queuescope/contracts';
import { api } from '../../api/client.js';
import type { ChartMarker } from '../../components/qs-chart/qs-chart.component.js';

/** The previous round of a `loadtest --tune` re-run: its summary (or why not), and the changes applied between the two runs. */
export interface PreviousRound {
  summary: RunSummary | Error;
  between: ConcurrencyChange[];
}

export const NO_CHANGES: ConcurrencyChange[] = [];

/** A failed optional request as a value, so the rest of the page stands; an abort stays a rejection. */
export const asError = (signal: AbortSignal) => (err: unknown) =>
  signal.aborted ? Promise.reject(err) : err instanceof Error ? err : new Error(String(err));

/** Whether an ISO instant lies within [from, to] (a selection by time, nothing computed). */
const within = (iso: string, from: string, to: string): boolean => {
  const t = Date.parse(iso);
  return t >= Date.parse(from) && t <= Date.parse(to);
};

/** The previous round's summary and its changes between its end and `startedAt` (this run's start, ISO): two requests. */
export async function loadPreviousRound(previousRunId: string, startedAt: string, signal: AbortSignal): Promise<PreviousRound> {
  const [summary, changes] = await Promise.all([
    api.summary(previousRunId, signal).catch(asError(signal)),
    api.concurrencyChanges(previousRunId, signal).catch(asError(signal)),
  ]);
  if (summary instanceof Error || changes instanceof Error) return { summary, between: [] };
  const ended = summary.run.endedAt ?? summary.run.startedAt;
  return { summary, between: changes.changes.filter((c) => within(c.ts, ended, startedAt)) };
}

/** Changes as chart markers: a dashed line labelled `webhook 1→3` at the change's time (x in seconds, as the charts' data). */
const toMarkers = (changes: ConcurrencyChange[]): ChartMarker[] =>
  changes.map((c) => ({ x: Date.parse(c.ts) / 1000, label: `${c.queue} ${c.from}→${c.to}`, kind: 'change' }));

/**
 * The between-round changes, then the run's own, and their chart markers; the result is kept while
 * both inputs are the same arrays, so the charts get the same markers and redraw only on a new answer.
 */
export class ChangeTimeline {
  private own: ConcurrencyChange[] | undefined;
  private between: ConcurrencyChange[] | undefined;
  private last: { changes: ConcurrencyChange[]; markers: ChartMarker[] } = { changes: NO_CHANGES, markers: [] };

  of(own: ConcurrencyChange[], between: ConcurrencyChange[]): { changes: ConcurrencyChange[]; markers: ChartMarker[] } {
    if (own === this.own && between === this.between) return this.last;
    const key = (c: ConcurrencyChange) => `${c.ts}|${c.queue}|${c.to}`;
    const seen = new Set(own.map(key));
    const changes = [...between.filter((c) => !seen.has(key(c))), ...own];
    this.own = own;
    this.between = between;
    this.last = { changes, markers: toMarkers(changes) };
    return this.last;
  }
}
