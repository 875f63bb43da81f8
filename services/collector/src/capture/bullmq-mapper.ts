import { MAX_ERROR_LENGTH, runIdOfJobData, streamIdToMicros, type JobEvent } from '@queuescope/contracts';

/** One stream entry as XREADGROUP returns it: id and flat `[field, value, …]`. */
export type RawEntry = [id: string, fields: string[]];

/**
 * One lifecycle entry of a BullMQ events stream as the read script compacts it (lua/readBatch-3.lua):
 * `extra` is the name of `added`, the failedReason of `failed`, the prev of `waiting`, else ''.
 */
export interface LifecycleEntry {
  id: string;
  event: string;
  jobId: string;
  extra: string;
}

/** Undo the read script's escaping of one field ("\\" → "\", "\n" → newline). */
export function unescapeField(s: string): string {
  return s.includes('\\') ? s.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\')) : s;
}

/** The read script's text (`id \n event \n jobId \n extra \n …`, lua/readBatch-3.lua) → entries. */
export function lifecycleEntries(text: string): LifecycleEntry[] {
  if (text === '') return [];
  const f = text.split('\n');
  const out: LifecycleEntry[] = new Array(f.length >> 2);
  for (let i = 0, j = 0; i + 3 < f.length; i += 4, j++)
    out[j] = { id: f[i]!, event: f[i + 1]!, jobId: unescapeField(f[i + 2]!), extra: unescapeField(f[i + 3]!) };
  return out;
}

/**
 * What the collector remembers of a job between its events (DESIGN: one clock, the stream's).
 * Times are row `ts` values, epoch µs; 0 when not seen (history before the collector attached).
 */
export interface JobState {
  /** ts of `added`. */
  added: number;
  /** ts the job became ready to run: `added`, or its promotion from delayed. */
  ready: number;
  /** Attempts started so far (`active` entries seen). */
  attempts: number;
  /** ts of the running attempt's `active`; 0 when no attempt runs. */
  active: number;
  runId: string;
  name: string;
  /** The running (or last) attempt's worker, BullMQ `processedBy`. */
  worker: string;
}

/** Fields read from a job's hash during enrichment (readJobs.lua). */
export interface JobInfo {
  pb: string | null;
  failedReason: string | null;
  ats: string | null;
  data?: string | null;
  name?: string | null;
}

/** readJobs.lua's text (five escaped fields per job, `\\N` when absent) → each job's fields, by id in `ids` order. */
export function jobInfos(text: string, ids: readonly string[]): Map<string, JobInfo> {
  const f = text.split('\n').map((v) => (v === '\\N' ? null : unescapeField(v)));
  const infos = new Map<string, JobInfo>();
  ids.forEach((id, i) => {
    const at = i * 5;
    infos.set(id, {
      pb: f[at] ?? null,
      failedReason: f[at + 1] ?? null,
      ats: f[at + 2] ?? null,
      data: f[at + 3] ?? null,
      name: f[at + 4] ?? null,
    });
  });
  return infos;
}

/** The state as stored in the capture hash: a JSON array, short and order-fixed. */
export function encodeState(s: JobState): string {
  return JSON.stringify([s.added, s.ready, s.attempts, s.active, s.runId, s.name, s.worker]);
}

export function decodeState(text: string): JobState | undefined {
  try {
    const [added, ready, attempts, active, runId, name, worker] = JSON.parse(text) as [
      number,
      number,
      number,
      number,
      string,
      string,
      string,
    ];
    return { added, ready, attempts, active, runId, name, worker };
  } catch {
    return undefined;
  }
}

/** Jobs a batch needs read from Redis, and whether each one's data/name are wanted (first sight). */
export function jobsToEnrich(entries: readonly LifecycleEntry[], states: ReadonlyMap<string, JobState>): Map<string, boolean> {
  const wanted = new Map<string, boolean>();
  for (const { event, jobId } of entries) {
    if (event === 'removed') continue;
    const known = states.has(jobId);
    // A finished job we know needs nothing read: its failure reason is in the entry itself.
    if (known && (event === 'completed' || event === 'failed')) continue;
    wanted.set(jobId, (wanted.get(jobId) ?? false) || !known || event === 'added');
  }
  return wanted;
}

/** What mapping one batch produced. */
export interface MappedBatch {
  rows: JobEvent[];
  /** Jobs still open after the batch, whose state changed: saved with the ack. */
  touched: Set<string>;
  /** Jobs that finished (or were removed) in the batch: their saved state is dropped with the ack. */
  closed: Set<string>;
}

const ms = (fromTs: number, toTs: number): number | undefined => (fromTs > 0 ? Math.max(0, (toTs - fromTs) / 1000) : undefined);

function errorText(reason: string | null | undefined): string | undefined {
  return reason ? reason.slice(0, MAX_ERROR_LENGTH) : undefined;
}

/**
 * BullMQ's events-stream entries → `job_events` rows, in stream order, updating `states`.
 *
 * - `added` → `added` (attempt 0); `active` → `active` (attempt n, `wait_ms` on the first);
 * - `completed` / `failed` → themselves (BullMQ writes `failed` only for the final failure), with
 *   `run_ms` from the attempt's `active` and `latency_ms` from `added`;
 * - `delayed` or `waiting` (prev active) while an attempt runs → `retried` (failure reason from the
 *   job hash), unless the next entry is that job's `stalled`: BullMQ writes a stall as
 *   `waiting` then `stalled` in one script, and the `stalled` entry becomes the `stalled` row;
 * - `waiting` (prev delayed) before the first attempt marks when a delayed job became ready.
 *
 * Every duration is a difference of two entries' ts (one clock), so rows agree with their own ts.
 */
export function mapEntries(
  queue: string,
  entries: readonly LifecycleEntry[],
  states: Map<string, JobState>,
  infos: ReadonlyMap<string, JobInfo>,
): MappedBatch {
  const rows: JobEvent[] = [];
  const touched = new Set<string>();
  const closed = new Set<string>();
  const stateOf = (jobId: string, atActive = false): JobState => {
    let s = states.get(jobId);
    if (!s) {
      // First seen after its `added` (history from before the collector attached, or trimmed):
      // the hash's attempt count, read just after this entry, is the best we know.
      const info = infos.get(jobId);
      const started = Number(info?.ats ?? 0) || 0;
      s = {
        added: 0,
        ready: 0,
        attempts: Math.max(0, started - (atActive ? 1 : 0)),
        active: 0,
        runId: runIdOfJobData(info?.data),
        name: info?.name ?? '',
        worker: '',
      };
      states.set(jobId, s);
    }
    return s;
  };
  const row = (s: JobState, ts: number, jobId: string, event: JobEvent['event'], attempt: number): JobEvent => ({
    ts,
    run_id: s.runId,
    queue,
    event,
    job_id: jobId,
    job_name: s.name,
    attempt,
    worker: s.worker,
  });
  const endAttempt = (s: JobState, ts: number, jobId: string, event: 'retried' | 'stalled', reason?: string | null): void => {
    const r = row(s, ts, jobId, event, Math.max(1, s.attempts));
    const run = ms(s.active, ts);
    if (run !== undefined) r.run_ms = run;
    const error = errorText(reason);
    if (error !== undefined) r.error = error;
    rows.push(r);
    s.active = 0;
    touched.add(jobId);
  };

  for (let i = 0; i < entries.length; i++) {
    const { id, event, jobId, extra } = entries[i]!;
    const ts = streamIdToMicros(id);
    switch (event) {
      case 'added': {
        const info = infos.get(jobId);
        const s: JobState = {
          added: ts,
          ready: ts,
          attempts: 0,
          active: 0,
          runId: runIdOfJobData(info?.data),
          name: extra || (info?.name ?? ''),
          worker: '',
        };
        states.set(jobId, s);
        rows.push(row(s, ts, jobId, 'added', 0));
        touched.add(jobId);
        closed.delete(jobId);
        break;
      }
      case 'active': {
        const s = stateOf(jobId, true);
        s.attempts += 1;
        s.active = ts;
        s.worker = infos.get(jobId)?.pb ?? s.worker;
        const r = row(s, ts, jobId, 'active', s.attempts);
        const wait = s.attempts === 1 ? ms(s.ready, ts) : undefined;
        if (wait !== undefined) r.wait_ms = wait;
        rows.push(r);
        touched.add(jobId);
        break;
      }
      case 'completed':
      case 'failed': {
        const s = stateOf(jobId);
        const r = row(s, ts, jobId, event, Math.max(1, s.attempts));
        const run = ms(s.active, ts);
        if (run !== undefined) r.run_ms = run;
        const latency = ms(s.added, ts);
        if (latency !== undefined) r.latency_ms = latency;
        if (event === 'failed') {
          const error = errorText(extra || infos.get(jobId)?.failedReason);
          if (error !== undefined) r.error = error;
        }
        rows.push(r);
        states.delete(jobId);
        touched.delete(jobId);
        closed.add(jobId);
        break;
      }
      case 'delayed': {
        const s = stateOf(jobId);
        if (s.active > 0) endAttempt(s, ts, jobId, 'retried', infos.get(jobId)?.failedReason);
        break;
      }
      case 'waiting': {
        const s = stateOf(jobId);
        const prev = extra;
        if (prev === 'active') {
          const next = entries[i + 1];
          const stallFollows = next !== undefined && next.event === 'stalled' && next.jobId === jobId;
          if (!stallFollows && s.active > 0) endAttempt(s, ts, jobId, 'retried', infos.get(jobId)?.failedReason);
        } else if (prev === 'delayed' && s.attempts === 0) {
          s.ready = ts;
          touched.add(jobId);
        }
        break;
      }
      case 'stalled': {
        const s = stateOf(jobId);
        endAttempt(s, ts, jobId, 'stalled');
        break;
      }
      case 'removed': {
        states.delete(jobId);
        touched.delete(jobId);
        closed.add(jobId);
        break;
      }
    }
  }
  return { rows, touched, closed };
}
