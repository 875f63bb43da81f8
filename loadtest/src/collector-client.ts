import type { ClientSummary, IngestStatus, LoadSecond, Run, RunSummary } from '@queuescope/contracts';

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

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
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
      throw new Error(`${method} ${path} → ${res.status}: ${message}${hint}`);
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

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(3000) })).ok;
    } catch {
      return false;
    }
  }
}
