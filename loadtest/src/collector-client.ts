import type {
  ClientSummary,
  ConcurrencyChanges,
  ConcurrencySetting,
  IngestStatus,
  LoadSecond,
  Run,
  RunComparison,
  RunDiagnosis,
  RunSummary,
  SetConcurrencyBody,
  TimeSeries,
} from '@queuescope/contracts';

/** Pauses before asking a GET again after a 503, ms. */
const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];

/** An answer of the collector with an error status; the message is the collector's own. */
export class CollectorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CollectorError';
  }
}

/**
 * The parts of the collector's API the runner uses; every call fails with the collector's own
 * message. `token` is the collector's `QS_API_TOKEN`, sent as `Authorization: Bearer` on every call.
 */
export class CollectorClient {
  private readonly auth: Record<string, string>;

  constructor(
    readonly baseUrl: string,
    token: string | null = null,
  ) {
    this.auth = token ? { authorization: `Bearer ${token}` } : {};
  }

  /**
   * One request; a GET answered 503 (QuestDB or Redis briefly unavailable, e.g. no pool connection
   * in time on a busy machine) is asked again after {@link RETRY_DELAYS_MS}: a read repeats safely,
   * and a long tune should not end on one busy second. Writes are never repeated.
   */
  private async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    for (const delay of method === 'GET' ? RETRY_DELAYS_MS : []) {
      try {
        return await this.once<T>(method, path, body);
      } catch (err) {
        if (!(err instanceof CollectorError) || err.status !== 503) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    return this.once<T>(method, path, body);
  }

  private async once<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? this.auth : { ...this.auth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new Error(
        `collector at ${this.baseUrl} is not reachable (${err instanceof Error ? err.message : String(err)}); is the stack running? (npm run stack)`,
        { cause: err },
      );
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON
      }
      const hint = res.status === 401 ? ' (set QS_API_TOKEN to the collector’s token)' : '';
      throw new CollectorError(res.status, `${method} ${path} → ${res.status}: ${message}${hint}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  createRun(body: { name: string; scenario: string; engine: string; config: Record<string, unknown> }): Promise<Run> {
    return this.call('POST', '/api/v1/runs', body);
  }

  finishRun(id: string, status: 'finished' | 'aborted'): Promise<Run> {
    return this.call('POST', `/api/v1/runs/${encodeURIComponent(id)}/finish?status=${status}`);
  }

  postLoadMetrics(id: string, source: 'builtin' | 'k6', seconds: LoadSecond[]): Promise<{ stored: number }> {
    return this.call('POST', `/api/v1/runs/${encodeURIComponent(id)}/load-metrics`, { source, seconds });
  }

  postClientSummary(id: string, summary: ClientSummary): Promise<Run> {
    return this.call('POST', `/api/v1/runs/${encodeURIComponent(id)}/client-summary`, summary);
  }

  ingestStatus(): Promise<IngestStatus> {
    return this.call('GET', '/api/v1/ingest/status');
  }

  summary(id: string): Promise<RunSummary> {
    return this.call('GET', `/api/v1/runs/${encodeURIComponent(id)}/summary`);
  }

  diagnosis(id: string): Promise<RunDiagnosis> {
    return this.call('GET', `/api/v1/runs/${encodeURIComponent(id)}/diagnosis`);
  }

  /** `GET /api/v1/compare`: run `b` against the baseline `a`. */
  compare(a: string, b: string): Promise<RunComparison> {
    return this.call('GET', `/api/v1/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  }

  /** A queue's run-time concurrency setting and what each live worker process reports (slots, CPU). */
  concurrency(queue: string): Promise<ConcurrencySetting> {
    return this.call('GET', `/api/v1/queues/${encodeURIComponent(queue)}/concurrency`);
  }

  setConcurrency(queue: string, body: SetConcurrencyBody): Promise<ConcurrencySetting> {
    return this.call('PUT', `/api/v1/queues/${encodeURIComponent(queue)}/concurrency`, body);
  }

  concurrencyChanges(runId: string): Promise<ConcurrencyChanges> {
    return this.call('GET', `/api/v1/runs/${encodeURIComponent(runId)}/concurrency-changes`);
  }

  /** `GET /api/v1/timeseries` of the window [from, to) at 1 s buckets (queue depth: `<queue>.waiting`, …). */
  timeseries(metric: TimeSeries['metric'], from: Date, to: Date): Promise<TimeSeries> {
    const q = `metric=${metric}&step=1s&from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    return this.call('GET', `/api/v1/timeseries?${q}`);
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(3000) })).ok;
    } catch {
      return false;
    }
  }
}
