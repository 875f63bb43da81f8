import { Compile } from 'typebox/compile';
import { JobEventSchema, type JobEvent } from './events.js';

/**
 * Wire format of one Redis Stream entry: field `v` (format version) and field `e`, a JSON array
 * of {@link JobEvent}s. Many events share one entry because one XADD per event costs ~12 % of
 * worker throughput while one per batch costs ~2–3 % (shared/notes/baseline.md).
 */
export const STREAM_FORMAT_VERSION = '1';

const checkEvent = Compile(JobEventSchema);

export function encodeEntry(events: readonly JobEvent[]): string[] {
  return ['v', STREAM_FORMAT_VERSION, 'e', JSON.stringify(events)];
}

export class MalformedEntryError extends Error {
  override name = 'MalformedEntryError';
}

/** Flat `[field, value, …]` of one entry → its events; throws {@link MalformedEntryError} naming the problem. */
export function decodeEntry(fields: readonly string[]): JobEvent[] {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  if (map.get('v') !== STREAM_FORMAT_VERSION) throw new MalformedEntryError(`unsupported entry version '${map.get('v')}'`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(map.get('e') ?? '');
  } catch {
    throw new MalformedEntryError('field e is not JSON');
  }
  if (!Array.isArray(parsed)) throw new MalformedEntryError('field e is not an array');
  parsed.forEach((event, i) => {
    if (!checkEvent.Check(event)) {
      const first = [...checkEvent.Errors(event)][0];
      throw new MalformedEntryError(`event ${i}: ${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'}`);
    }
  });
  return parsed as JobEvent[];
}
