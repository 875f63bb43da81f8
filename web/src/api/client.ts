/** The collector's REST API as the dashboard uses it; the only module that knows URLs (STYLE R13). */
import type { Run, RunSummary, Verdict } from '@queuescope/contracts';

export type { Percentiles, QueueSummary, Run, RunSummary, SloCheck, Verdict } from '@queuescope/contracts';

export interface Finding {
  cause: 'waiting' | 'running' | 'retrying' | 'stalling';
  because: string[];
  evidence: Record<string, unknown>;
  recommendation: { text: string; drainSeconds?: number | null; concurrency?: number | null; drains?: boolean | null };
}

export interface QueueDiagnosis {
  rank: number;
  queue: string;
  healthy: boolean;
  verdict: Verdict;
  severity: number | null;
  cause: Finding | null;
  secondary: Finding[];
}

export interface RunDiagnosis {
  verdict: Verdict;
  rule: string;
  queues: QueueDiagnosis[];
}

export interface MetricComparison {
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  deltaPct: number | null;
  verdict: 'better' | 'worse' | 'unchanged' | 'no-data';
  reason: string;
}

export interface RunComparison {
  rule: string;
  a: { run: Run; verdict: Verdict };
  b: { run: Run; verdict: Verdict };
  queues: { queue: string; metrics: Record<string, MetricComparison> }[];
}

export interface TimeSeries {
  metric: string;
  step: string;
  ts: number[];
  series: Record<string, (number | null)[]>;
}

async function get<T>(path: string, signal: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new Error(body.message ?? `${res.status} ${res.statusText}`);
  }
  return (await res.json()) as T;
}

const id = encodeURIComponent;

export const api = {
  runs: (signal: AbortSignal, limit = 50) => get<{ runs: Run[]; total: number }>(`/api/v1/runs?limit=${limit}`, signal),
  summary: (runId: string, signal: AbortSignal) => get<RunSummary>(`/api/v1/runs/${id(runId)}/summary`, signal),
  diagnosis: (runId: string, signal: AbortSignal) => get<RunDiagnosis>(`/api/v1/runs/${id(runId)}/diagnosis`, signal),
  timeseries: (runId: string, metric: string, signal: AbortSignal) => get<TimeSeries>(`/api/v1/runs/${id(runId)}/timeseries?metric=${id(metric)}&step=1s`, signal),
  compare: (a: string, b: string, signal: AbortSignal) => get<RunComparison>(`/api/v1/compare?a=${id(a)}&b=${id(b)}`, signal),
  eventsExportUrl: (runId: string, format: 'csv' | 'json') => `/api/v1/runs/${id(runId)}/events?format=${format}`,
  summaryUrl: (runId: string) => `/api/v1/runs/${id(runId)}/summary`,
  liveUrl: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/live`,
};
