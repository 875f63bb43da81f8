import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../src/events.js';
import { decodeEntry, encodeEntry, MalformedEntryError, STREAM_FORMAT_VERSION } from '../src/stream.js';

const added: JobEvent = {
  ts: 1_700_000_000_000_000,
  run_id: 'run-1',
  queue: 'payment',
  event: 'added',
  job_id: 'j-1',
  job_name: 'charge',
  attempt: 0,
  worker: 'host:1',
};
const completed: JobEvent = {
  ts: 1_700_000_000_250_000,
  run_id: '',
  queue: 'payment',
  event: 'completed',
  job_id: 'j-1',
  job_name: 'charge',
  attempt: 1,
  worker: 'host:2',
  run_ms: 42.5,
  latency_ms: 250,
};
const failed: JobEvent = { ...completed, event: 'failed', error: 'card declined: ✗ "quoted" \n newline' };

/** The fields of an entry whose `e` is `payload` (any JSON value), version 1. */
const entryOf = (payload: unknown): string[] => ['v', STREAM_FORMAT_VERSION, 'e', JSON.stringify(payload)];

function decodeError(fields: readonly string[]): MalformedEntryError {
  try {
    decodeEntry(fields);
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedEntryError);
    return err as MalformedEntryError;
  }
  throw new Error(`decodeEntry accepted ${JSON.stringify(fields)}`);
}

describe('encodeEntry / decodeEntry', () => {
  it('encodes as field v (version) and field e (JSON array)', () => {
    const fields = encodeEntry([added]);
    expect(fields).toEqual(['v', '1', 'e', JSON.stringify([added])]);
  });

  it('round-trips valid events in order, optional fields and unicode included', () => {
    const events = [added, { ...added, event: 'active', attempt: 1, wait_ms: 3.25 } as JobEvent, completed, failed];
    expect(decodeEntry(encodeEntry(events))).toEqual(events);
  });

  it('round-trips an empty batch', () => {
    expect(decodeEntry(encodeEntry([]))).toEqual([]);
  });

  it('accepts fields in any order', () => {
    expect(decodeEntry(['e', JSON.stringify([added]), 'v', '1'])).toEqual([added]);
  });
});

describe('decodeEntry rejects malformed entries', () => {
  it('wrong version', () => {
    const err = decodeError(['v', '2', 'e', JSON.stringify([added])]);
    expect(err.message).toContain('version');
    expect(err.message).toContain('2');
  });

  it('missing version', () => {
    expect(decodeError(['e', JSON.stringify([added])]).message).toContain('version');
  });

  it('non-JSON', () => {
    expect(decodeError(['v', '1', 'e', '[{"ts":1,']).message).toMatch(/not JSON/);
  });

  it('missing field e', () => {
    expect(decodeError(['v', '1']).message).toMatch(/not JSON/);
  });

  it('not an array', () => {
    expect(decodeError(entryOf({ events: [added] })).message).toMatch(/not an array/);
    expect(decodeError(entryOf(added)).message).toMatch(/not an array/);
  });

  it('an unknown event type', () => {
    const err = decodeError(entryOf([added, { ...added, event: 'exploded' }]));
    expect(err.message).toContain('/event');
    expect(err.message).toContain('event 1');
  });

  it('a negative ts', () => {
    const err = decodeError(entryOf([{ ...added, ts: -1 }]));
    expect(err.message).toContain('/ts');
    expect(err.message).toContain('event 0');
  });

  it('a fractional ts', () => {
    expect(decodeError(entryOf([{ ...added, ts: 1.5 }])).message).toContain('/ts');
  });

  it('a missing job_id', () => {
    const { job_id: _omit, ...rest } = added;
    const err = decodeError(entryOf([rest]));
    expect(err.message).toContain('job_id');
  });

  it('an empty job_id', () => {
    expect(decodeError(entryOf([{ ...added, job_id: '' }])).message).toContain('/job_id');
  });

  it('an extra property', () => {
    const err = decodeError(entryOf([{ ...added, surprise: true }]));
    expect(err.message).toContain('surprise');
  });

  it('an error text longer than MAX_ERROR_LENGTH', () => {
    expect(decodeError(entryOf([{ ...failed, error: 'x'.repeat(2049) }])).message).toContain('/error');
  });

  it('a non-object event', () => {
    expect(decodeError(entryOf([added, 'added'])).message).toContain('event 1');
  });
});
