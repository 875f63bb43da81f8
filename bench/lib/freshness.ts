/**
 * How fresh SQL is while the pipeline runs: how long after an event happened (its row's `ts`,
 * the stream entry's time on Redis's clock, which is this machine's clock) it can be seen in
 * `job_events`. Two measures, both polled every `everyMs`:
 *
 * - per event: a trickle of probe jobs (their own run id, mixed into the load) is watched; each
 *   probe row's delay is (start of the first poll that saw it) − ts. The row became visible
 *   somewhere in the poll interval before, so this is exact to within one interval, never lower.
 * - newest visible: now − the newest `ts` of the main run, the age of what a dashboard shows.
 */
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { ENDPOINTS } from '../../loadtest/scenarios/index.js';

export interface FreshnessSamples {
  /** Per probe row: ms from its `ts` to the first poll that saw it. */
  perEvent: number[];
  /** Per poll while `newest` was on: ms from the newest visible `ts` of the main run to the poll. */
  newest: number[];
  polls: number;
}

/** Probe rows older than this are not asked for again (keeps the poll small); later arrivals are counted as missed. */
const PROBE_WINDOW_US = 60_000_000;

export class FreshnessSampler {
  readonly samples: FreshnessSamples = { perEvent: [], newest: [], polls: 0 };
  /** Whether polls also sample the main run's newest row (on during the load only). */
  sampleNewest = true;
  private readonly seen = new Set<string>();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly db: pg.Client,
    private readonly runId: string,
    private readonly probeRunId: string,
    private readonly everyMs = 100,
  ) {
    this.loop = this.run();
  }

  /** Probe rows seen so far. */
  get probeRows(): number {
    return this.seen.size;
  }

  /** Resolve once `rows` probe rows were seen, or after `timeoutMs`. */
  async waitForProbeRows(rows: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.seen.size < rows && Date.now() < deadline) await sleep(this.everyMs);
    return this.seen.size >= rows;
  }

  async stop(): Promise<FreshnessSamples> {
    this.stopped = true;
    await this.loop;
    return this.samples;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const polledAt = Date.now();
      await this.poll(polledAt);
      await sleep(Math.max(0, this.everyMs - (Date.now() - polledAt)));
    }
  }

  private async poll(polledAt: number): Promise<void> {
    this.samples.polls++;
    const since = Math.floor(polledAt * 1000 - PROBE_WINDOW_US);
    const probes = await this.db.query<{ queue: string; job_id: string; event: string; attempt: number; us: number }>(
      `SELECT queue, job_id, event, attempt, cast(ts AS LONG) AS us FROM job_events WHERE run_id = $1 AND ts > ${since}`,
      [this.probeRunId],
    );
    for (const r of probes.rows) {
      const key = `${r.queue}|${r.job_id}|${r.event}|${r.attempt}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      this.samples.perEvent.push(polledAt - r.us / 1000);
    }
    if (!this.sampleNewest) return;
    const newest = await this.db.query<{ us: number }>(
      `SELECT cast(ts AS LONG) AS us FROM job_events WHERE run_id = $1 ORDER BY ts DESC LIMIT 1`,
      [this.runId],
    );
    const us = newest.rows[0]?.us;
    if (us !== undefined) this.samples.newest.push(polledAt - us / 1000);
  }
}

/**
 * Send one probe job (a payment) every `1000 / perSecond` ms under `runId` until stopped; resolves
 * with how many the producer accepted. Requests are not awaited one by one, so a slow answer
 * under load does not lower the rate.
 */
export function startProbes(
  producerUrl: string,
  runId: string,
  perSecond: number,
): { stop: () => Promise<{ sent: number; accepted: number }> } {
  let sent = 0;
  let accepted = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (): void => {
    const i = sent++;
    const p = fetch(`${producerUrl}${ENDPOINTS.payment.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-run-id': runId },
      body: JSON.stringify(ENDPOINTS.payment.body(i)),
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) accepted++;
      })
      .catch(() => undefined)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const timer = setInterval(send, 1000 / perSecond);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
      return { sent, accepted };
    },
  };
}
