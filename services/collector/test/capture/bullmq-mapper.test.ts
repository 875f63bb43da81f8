/**
 * The mapping of BullMQ's events-stream entries to rows, entry by entry as BullMQ's Lua scripts
 * write them (node_modules/bullmq/dist/esm/commands: storeJob `added`, prepareJobForProcessing
 * `active`, moveToFinished `completed`/`failed`, moveToDelayed `delayed`, retryJob `waiting` prev
 * active, moveStalledJobsToWait `waiting` prev active then `stalled`). The end-to-end tests check the
 * same rules against real BullMQ runs.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeState,
  encodeState,
  jobsToEnrich,
  mapEntries,
  type JobInfo,
  type JobState,
  type LifecycleEntry,
} from '../../src/capture/bullmq-mapper.js';

const T0 = 1_800_000_000_000;
let seq = 0;
/**
 * An entry `ms` after T0 with BullMQ's fields, as the read script compacts it (extra: the name of
 * `added`, the failedReason of `failed`, the prev of `waiting`).
 */
const at = (ms: number, ...fields: string[]): LifecycleEntry => {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const event = f.get('event')!;
  const extra = event === 'added' ? f.get('name') : event === 'failed' ? f.get('failedReason') : event === 'waiting' ? f.get('prev') : '';
  return { id: `${T0 + ms}-${seq++ % 3}`, event, jobId: f.get('jobId')!, extra: extra ?? '' };
};
const us = (entry: LifecycleEntry): number => {
  const [ms, s] = entry.id.split('-');
  return Number(ms) * 1000 + Number(s);
};
const info = (over: Partial<JobInfo> = {}): JobInfo => ({
  pb: 'host:42',
  failedReason: null,
  ats: '1',
  data: '{"runId":"r-1","input":{}}',
  name: 'charge',
  ...over,
});

describe('mapEntries', () => {
  it('a job that completes first time: added, active with wait, completed with run and latency from the entry ids', () => {
    const entries = [
      at(0, 'event', 'added', 'jobId', '7', 'name', 'charge'),
      at(0, 'event', 'waiting', 'jobId', '7'),
      at(12, 'event', 'active', 'jobId', '7', 'prev', 'waiting'),
      at(40, 'event', 'completed', 'jobId', '7', 'returnvalue', 'null', 'prev', 'active'),
    ];
    const states = new Map<string, JobState>();
    const out = mapEntries('payment', entries, states, new Map([['7', info()]]));
    expect(out.rows.map((r) => [r.event, r.attempt])).toEqual([
      ['added', 0],
      ['active', 1],
      ['completed', 1],
    ]);
    const [added, active, completed] = out.rows;
    expect(added).toMatchObject({ ts: us(entries[0]!), run_id: 'r-1', queue: 'payment', job_id: '7', job_name: 'charge' });
    expect(active!.wait_ms).toBe((us(entries[2]!) - us(entries[0]!)) / 1000);
    expect(active!.worker).toBe('host:42');
    expect(completed!.run_ms).toBe((us(entries[3]!) - us(entries[2]!)) / 1000);
    expect(completed!.latency_ms).toBe((us(entries[3]!) - us(entries[0]!)) / 1000);
    expect(completed!.worker).toBe('host:42');
    expect(states.has('7')).toBe(false);
    expect(out.closed).toEqual(new Set(['7']));
    expect(out.touched.size).toBe(0);
  });

  it('a failed attempt retried with backoff (delayed) and without (waiting prev active), then a final failure', () => {
    const states = new Map<string, JobState>();
    const reasons = new Map([['9', info({ failedReason: 'boom' })]]);
    const entries = [
      at(0, 'event', 'added', 'jobId', '9', 'name', 'hook'),
      at(1, 'event', 'active', 'jobId', '9', 'prev', 'waiting'),
      at(5, 'event', 'delayed', 'jobId', '9', 'delay', String(T0 + 55)),
      at(55, 'event', 'waiting', 'jobId', '9', 'prev', 'delayed'),
      at(56, 'event', 'active', 'jobId', '9', 'prev', 'waiting'),
      at(60, 'event', 'waiting', 'jobId', '9', 'prev', 'active'),
      at(61, 'event', 'active', 'jobId', '9', 'prev', 'waiting'),
      at(70, 'event', 'failed', 'jobId', '9', 'failedReason', 'final boom', 'prev', 'active'),
      at(70, 'event', 'retries-exhausted', 'jobId', '9', 'attemptsMade', '3'),
    ];
    const out = mapEntries('webhook', entries, states, reasons);
    expect(out.rows.map((r) => `${r.event}/${r.attempt}`)).toEqual([
      'added/0',
      'active/1',
      'retried/1',
      'active/2',
      'retried/2',
      'active/3',
      'failed/3',
    ]);
    const retried = out.rows.filter((r) => r.event === 'retried');
    expect(retried.map((r) => r.error)).toEqual(['boom', 'boom']);
    expect(retried[0]!.run_ms).toBe((us(entries[2]!) - us(entries[1]!)) / 1000);
    const failed = out.rows.at(-1)!;
    expect(failed.error).toBe('final boom');
    expect(failed.latency_ms).toBe((us(entries[7]!) - us(entries[0]!)) / 1000);
    expect(out.rows.filter((r) => r.event === 'active').map((r) => r.wait_ms)).toEqual([
      (us(entries[1]!) - us(entries[0]!)) / 1000,
      undefined,
      undefined,
    ]);
  });

  it('a stall (BullMQ writes waiting prev active, then stalled) is one stalled row, and the next active is the next attempt', () => {
    const states = new Map<string, JobState>();
    const entries = [
      at(0, 'event', 'added', 'jobId', '3', 'name', 'n'),
      at(1, 'event', 'active', 'jobId', '3', 'prev', 'waiting'),
      at(3000, 'event', 'waiting', 'jobId', '3', 'prev', 'active'),
      at(3000, 'event', 'stalled', 'jobId', '3'),
      at(3001, 'event', 'active', 'jobId', '3', 'prev', 'waiting'),
      at(3010, 'event', 'completed', 'jobId', '3', 'returnvalue', 'null', 'prev', 'active'),
    ];
    const out = mapEntries('notification', entries, states, new Map([['3', info()]]));
    expect(out.rows.map((r) => `${r.event}/${r.attempt}`)).toEqual(['added/0', 'active/1', 'stalled/1', 'active/2', 'completed/2']);
    expect(out.rows[2]!.run_ms).toBe((us(entries[3]!) - us(entries[1]!)) / 1000);
  });

  it('a delayed job waits from when it became ready, not from when it was added', () => {
    const entries = [
      at(0, 'event', 'added', 'jobId', '5', 'name', 'n'),
      at(0, 'event', 'delayed', 'jobId', '5', 'delay', String(T0 + 500)),
      at(500, 'event', 'waiting', 'jobId', '5', 'prev', 'delayed'),
      at(520, 'event', 'active', 'jobId', '5', 'prev', 'waiting'),
    ];
    const out = mapEntries('payment', entries, new Map(), new Map([['5', info()]]));
    expect(out.rows.map((r) => r.event)).toEqual(['added', 'active']);
    expect(out.rows[1]!.wait_ms).toBe((us(entries[3]!) - us(entries[2]!)) / 1000);
  });

  it('state carries a job across batches: the second batch ends what the first began, and saves nothing for it', () => {
    const states = new Map<string, JobState>();
    const added = at(0, 'event', 'added', 'jobId', '1', 'name', 'n');
    const first = mapEntries(
      'payment',
      [added, at(2, 'event', 'active', 'jobId', '1', 'prev', 'waiting')],
      states,
      new Map([['1', info()]]),
    );
    expect(first.touched).toEqual(new Set(['1']));
    // The state survives an ack and a takeover: it is saved encoded and loaded back.
    const restored = new Map([['1', decodeState(encodeState(states.get('1')!))!]]);
    const done = at(30, 'event', 'completed', 'jobId', '1', 'returnvalue', 'null', 'prev', 'active');
    const second = mapEntries('payment', [done], restored, new Map());
    expect(second.rows[0]).toMatchObject({ event: 'completed', attempt: 1, run_id: 'r-1', worker: 'host:42', job_name: 'n' });
    expect(second.rows[0]!.latency_ms).toBe((us(done) - us(added)) / 1000);
    expect(second.closed).toEqual(new Set(['1']));
  });

  it('a job first seen mid-life (history before attach) gets its attempt from the hash and no invented durations', () => {
    const entries = [
      at(0, 'event', 'active', 'jobId', '8', 'prev', 'waiting'),
      at(9, 'event', 'completed', 'jobId', '8', 'returnvalue', 'null', 'prev', 'active'),
    ];
    const out = mapEntries('emails', entries, new Map(), new Map([['8', info({ ats: '2' })]]));
    expect(out.rows.map((r) => `${r.event}/${r.attempt}`)).toEqual(['active/2', 'completed/2']);
    expect(out.rows[0]!.wait_ms).toBeUndefined();
    expect(out.rows[1]!.latency_ms).toBeUndefined();
    expect(out.rows[1]!.run_ms).toBe((us(entries[1]!) - us(entries[0]!)) / 1000);
  });

  it('forgets removed jobs', () => {
    const states = new Map<string, JobState>();
    const out = mapEntries(
      'payment',
      [at(0, 'event', 'added', 'jobId', '2', 'name', 'n'), at(3, 'event', 'removed', 'jobId', '2', 'prev', 'wait')],
      states,
      new Map(),
    );
    expect(out.rows.map((r) => r.event)).toEqual(['added']);
    expect(states.size).toBe(0);
    expect(out.closed).toEqual(new Set(['2']));
  });
});

describe('jobsToEnrich', () => {
  it('asks for data on first sight only, and nothing for a known job that just finished', () => {
    const known = new Map<string, JobState>([['k', { added: 1, ready: 1, attempts: 1, active: 2, runId: 'r', name: 'n', worker: 'w' }]]);
    const wanted = jobsToEnrich(
      [
        at(0, 'event', 'added', 'jobId', 'new', 'name', 'n'),
        at(1, 'event', 'completed', 'jobId', 'k', 'prev', 'active'),
        at(2, 'event', 'active', 'jobId', 'other', 'prev', 'waiting'),
      ],
      known,
    );
    expect([...wanted]).toEqual([
      ['new', true],
      ['other', true],
    ]);
  });
});
