import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runIdOfJobData } from '../src/jobs.js';

/** The definition runIdOfJobData must agree with: a top-level string `runId` of the parsed JSON. */
function byParsing(raw: string): string {
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed !== null && typeof parsed === 'object' && typeof (parsed as { runId?: unknown }).runId === 'string'
      ? (parsed as { runId: string }).runId
      : '';
  } catch {
    return '';
  }
}

describe('runIdOfJobData', () => {
  it('reads the run id of generated producer job data, whatever the id and payload (1000 cases)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.jsonValue(), (runId, input) => {
        expect(runIdOfJobData(JSON.stringify({ runId, input }))).toBe(runId);
      }),
      { numRuns: 1000 },
    );
  });

  // BullMQ stores `JSON.stringify(data)`, so the data of any job is JSON text without duplicate keys.
  it('agrees with parsing the JSON on generated job data of any shape (1000 cases)', () => {
    const data = fc
      .oneof(
        fc.jsonValue(),
        fc.record(
          { runId: fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer(), fc.constant(null)), other: fc.jsonValue() },
          { requiredKeys: [] },
        ),
        fc.record({ other: fc.jsonValue(), runId: fc.string() }),
      )
      .map((v) => JSON.stringify(v));
    fc.assert(
      fc.property(data, (raw) => {
        expect(runIdOfJobData(raw)).toBe(byParsing(raw));
      }),
      { numRuns: 1000 },
    );
  });
});
