import hdr from 'hdr-histogram-js';
import type { LoadSecond } from '@queuescope/contracts';

/** A line of `k6 run --out json=…` (k6 docs "JSON output": `Metric` and `Point` lines). */
interface K6Line {
  type: 'Metric' | 'Point';
  metric: string;
  data: { time?: string; value?: number; tags?: Record<string, string> | null };
}

/** k6's error code for a request that hit its timeout (k6 docs "Error codes": 1050 HTTP request timeout). */
const K6_TIMEOUT_CODE = '1050';

interface Bucket {
  vus: number;
  requests: number;
  accepted: number;
  errors: number;
  timeouts: number;
  status4xx: number;
  status5xx: number;
  latency: hdr.Histogram;
}

/**
 * Turns k6's NDJSON result stream into per-second client metrics, the same numbers the built-in
 * engine reports: requests (`http_reqs` points), accepted (2xx), errors (status 0: no response),
 * timeouts (error_code 1050), 4xx/5xx, VUs (`vus` gauge, max in the second) and
 * `http_req_duration` percentiles (HdrHistogram, 3 significant digits, µs resolution).
 * Seconds are emitted once k6 has moved 2 s past them (k6 flushes its JSON every 200 ms).
 */
export class K6JsonAggregator {
  private readonly buckets = new Map<number, Bucket>();
  private newest = 0;
  /** Lines that were not valid JSON or not k6 lines. */
  malformed = 0;

  /** Feed one line of the stream. */
  push(line: string): void {
    if (line.trim() === '') return;
    let parsed: K6Line;
    try {
      parsed = JSON.parse(line) as K6Line;
    } catch {
      this.malformed++;
      return;
    }
    if (parsed.type !== 'Point') {
      if (parsed.type !== 'Metric') this.malformed++;
      return;
    }
    const time = Date.parse(parsed.data?.time ?? '');
    const value = parsed.data?.value;
    if (!Number.isFinite(time) || typeof value !== 'number') {
      this.malformed++;
      return;
    }
    const second = Math.floor(time / 1000) * 1000;
    this.newest = Math.max(this.newest, second);
    const b = this.bucket(second);
    const tags = parsed.data.tags ?? {};
    switch (parsed.metric) {
      case 'http_reqs': {
        b.requests += value;
        const status = Number(tags.status ?? '0');
        if (tags.error_code === K6_TIMEOUT_CODE) b.timeouts += value;
        else if (status === 0) b.errors += value;
        else if (status >= 200 && status < 300) b.accepted += value;
        else if (status >= 400 && status < 500) b.status4xx += value;
        else if (status >= 500) b.status5xx += value;
        break;
      }
      case 'http_req_duration':
        b.latency.recordValue(Math.max(0, Math.round(value * 1000)));
        break;
      case 'vus':
        b.vus = Math.max(b.vus, value);
        break;
    }
  }

  /** Seconds that are complete (2 s behind the newest point), oldest first; each is returned once. */
  drain(): LoadSecond[] {
    return this.take((second) => second <= this.newest - 2000);
  }

  /** Every remaining second, at the end of the run. */
  finish(): LoadSecond[] {
    return this.take(() => true);
  }

  private take(ready: (second: number) => boolean): LoadSecond[] {
    const out: LoadSecond[] = [];
    for (const second of [...this.buckets.keys()].sort((a, b) => a - b)) {
      if (!ready(second)) continue;
      const b = this.buckets.get(second)!;
      this.buckets.delete(second);
      const has = b.latency.totalCount > 0;
      const ms = (q: number): number | null => (has ? b.latency.getValueAtPercentile(q) / 1000 : null);
      out.push({
        ts: second,
        vus: b.vus,
        requests: b.requests,
        accepted: b.accepted,
        errors: b.errors,
        timeouts: b.timeouts,
        status4xx: b.status4xx,
        status5xx: b.status5xx,
        p50Ms: ms(50),
        p95Ms: ms(95),
        p99Ms: ms(99),
        maxMs: has ? b.latency.maxValue / 1000 : null,
      });
      b.latency.destroy();
    }
    return out;
  }

  private bucket(second: number): Bucket {
    let b = this.buckets.get(second);
    if (!b) {
      b = {
        vus: 0,
        requests: 0,
        accepted: 0,
        errors: 0,
        timeouts: 0,
        status4xx: 0,
        status5xx: 0,
        latency: hdr.build({ numberOfSignificantValueDigits: 3 }),
      };
      this.buckets.set(second, b);
    }
    return b;
  }
}
