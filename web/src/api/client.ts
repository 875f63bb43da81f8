/**
 * The collector's REST API as the dashboard uses it: the only module that knows URLs (STYLE R13).
 * Every call takes the AbortSignal of the @lit/task that runs it. Response types are the contracts'
 * (`Static<>` of the collector's route schemas), imported as types only: no schema code in the bundle.
 */
import type {
  ConcurrencyChanges,
  RunComparison,
  RunDiagnosis,
  RunPage,
  RunSummary,
  TimeSeries,
  TimeseriesMetric,
} from '@queuescope/contracts';

/** A non-2xx answer; `message` is the collector's (it names the offending field). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function get<T>(path: string, signal: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    throw new ApiError(res.status, body.code ?? 'HTTP_ERROR', body.message ?? `${res.status} ${res.statusText}`);
  }
  return (await res.json()) as T;
}

const enc = encodeURIComponent;
const LIVE_PATH = '/api/v1/live';
const runPath = (runId: string): string => `/api/v1/runs/${enc(runId)}`;

export const api = {
  runs: (signal: AbortSignal, page: { limit: number; offset: number }) =>
    get<RunPage>(`/api/v1/runs?limit=${page.limit}&offset=${page.offset}`, signal),
  /** The diagnosis with the run's summary (one request for the run page). */
  diagnosis: (runId: string, signal: AbortSignal) => get<RunDiagnosis>(`${runPath(runId)}/diagnosis`, signal),
  /** A run's summary alone (the tune story reads the previous round's verdicts from it). */
  summary: (runId: string, signal: AbortSignal) => get<RunSummary>(`${runPath(runId)}/summary`, signal),
  /**
   * The concurrency changes tagged with the run or made while it ran (in the order the collector gives). A collector
   * older than the route answers 404 for a run that exists: that reads as no changes.
   */
  concurrencyChanges: async (runId: string, signal: AbortSignal): Promise<ConcurrencyChanges> => {
    try {
      return await get<ConcurrencyChanges>(`${runPath(runId)}/concurrency-changes`, signal);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { changes: [] };
      throw err;
    }
  },
  compare: (a: string, b: string, signal: AbortSignal) => get<RunComparison>(`/api/v1/compare?a=${enc(a)}&b=${enc(b)}`, signal),

  /** A run's time series; the collector picks the step for the run's length (`step=auto`). */
  timeseries: (runId: string, metric: TimeseriesMetric, signal: AbortSignal) =>
    get<TimeSeries>(`${runPath(runId)}/timeseries?metric=${metric}&step=auto`, signal),

  /** Download links (plain `<a href>`; the browser streams them). */
  summaryUrl: (runId: string) => `${runPath(runId)}/summary`,
  eventsExportUrl: (runId: string, format: 'csv' | 'json') => `${runPath(runId)}/events?format=${format}`,
  docsUrl: () => '/api/docs',
  /** The live stream's WebSocket, on the page's own origin (the collector, or Vite's proxy to it). */
  liveUrl: () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${LIVE_PATH}`,

  /**
   * After the live socket closed before it opened: was it for want of the token? A browser does not
   * tell a WebSocket why its upgrade failed, so ask the same path over plain HTTP with the token
   * as a header: 401 means the token is missing or wrong; anything else (the route answers 404 to a
   * request that is no upgrade, or no answer at all) means the collector is away or busy.
   */
  liveRefusesToken: async (token: string | null): Promise<boolean> => {
    try {
      const res = await fetch(LIVE_PATH, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
      return res.status === 401;
    } catch {
      return false;
    }
  },
};
