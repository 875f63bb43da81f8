import { STREAM_FORMAT_VERSION, deadLetterKey, encodeEntry, type JobEvent } from '@queuescope/contracts';
import { isCluster, type RedisClient } from '@queuescope/service-kit';
import type { RowSource } from '../db/schema.js';

/**
 * Dead letters: what the capture could not store, kept in Redis instead of blocking every stream
 * behind it (capture/capture-loop.ts `isolateRefused`, stream-source.ts `decodeRows`). Each captured
 * stream `S` has its own dead-letter stream `S:dead` (same hash tag, so the same cluster slot).
 * Two kinds of entry, both with the `reason`:
 *
 * - a **refused row** (QuestDB answered 400 for it): `reason`, `source` (capture | api), `event`
 *   (the row as JSON);
 * - a **malformed entry** of the ingest stream (it does not decode as the contract's rows):
 *   `source_id` (its id), `reason`, then the entry's own fields.
 *
 * They are counted (`/metrics`, `/api/v1/ingest/status`), listed (`GET /api/v1/dead-letters`,
 * `npm run dead-letters`) and replayed (`npm run dead-letters -- --replay`): a malformed entry goes
 * back to its stream as it was; a refused row goes to the ingest stream as a one-row entry, marked
 * `src capture` when it was captured, so it is stored with its own source again. An entry leaves its
 * dead-letter stream only after the re-append succeeded; a replay cut short leaves at worst a row
 * appended twice, which the dedup keys store once.
 */

/** Field of an ingest entry that marks rows a replay brought back as captured (value `capture`). */
export const REPLAYED_SOURCE_FIELD = 'src';

/** Most entries one listing returns. */
export const MAX_LIST = 1000;

/** One dead-letter entry, decoded. */
export interface DeadLetter {
  /** The captured stream it came from. */
  stream: string;
  /** Its id in the dead-letter stream. */
  id: string;
  /** When it was dead-lettered, epoch ms (from the id). */
  at: number;
  kind: 'refused-row' | 'malformed-entry';
  reason: string;
  /** Refused row: who wrote it (`capture` or `api`). */
  source?: RowSource;
  /** Refused row: the row as it was sent (parsed JSON; the raw text when it does not parse). */
  event?: unknown;
  /** Malformed entry: its id in the captured stream. */
  sourceId?: string;
  /** Malformed entry: its own fields, flat `[name, value, …]`, as they will be re-appended. */
  fields?: string[];
}

/** A dead-letter stream entry (`XRANGE` item) → {@link DeadLetter}. */
export function parseDeadLetter(stream: string, id: string, flat: readonly string[]): DeadLetter {
  const at = Number(id.split('-')[0]);
  if (flat[0] === 'source_id') {
    // Positional: the entry's own fields follow, and may repeat any name.
    return { stream, id, at, kind: 'malformed-entry', sourceId: flat[1] ?? '', reason: flat[3] ?? '', fields: flat.slice(4) };
  }
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
  const text = map.get('event') ?? '';
  let event: unknown = text;
  try {
    event = JSON.parse(text);
  } catch {
    // kept as text: listed as it is, and replayed as it is (the capture dead-letters it again)
  }
  const source = map.get('source');
  return {
    stream,
    id,
    at,
    kind: 'refused-row',
    reason: map.get('reason') ?? '',
    ...(source === 'api' || source === 'capture' ? { source } : {}),
    event,
  };
}

/**
 * Entries in each stream's dead-letter stream (one pipelined XLEN each), by captured stream key. On a
 * Cluster the streams live in different slots, which one pipeline may not span: one XLEN each.
 */
export async function deadLetterCounts(redis: RedisClient, streams: readonly string[]): Promise<Map<string, number>> {
  if (isCluster(redis)) {
    const lengths = await Promise.all(streams.map((s) => redis.xlen(deadLetterKey(s))));
    return new Map(streams.map((s, i) => [s, lengths[i]!]));
  }
  const pipeline = redis.pipeline();
  for (const s of streams) pipeline.xlen(deadLetterKey(s));
  const results = (await pipeline.exec()) ?? [];
  const counts = new Map<string, number>();
  streams.forEach((s, i) => {
    const [err, n] = results[i] ?? [new Error('no reply'), 0];
    if (err) throw err;
    counts.set(s, Number(n));
  });
  return counts;
}

/** Dead letters of `streams`, oldest first per stream, at most `limit` in all. */
export async function listDeadLetters(
  redis: RedisClient,
  streams: readonly string[],
  limit: number,
): Promise<{ total: number; streams: { stream: string; deadLetters: number }[]; entries: DeadLetter[] }> {
  const counts = await deadLetterCounts(redis, streams);
  const entries: DeadLetter[] = [];
  for (const stream of streams) {
    const room = limit - entries.length;
    if ((counts.get(stream) ?? 0) === 0 || room <= 0) continue;
    const items = (await redis.xrange(deadLetterKey(stream), '-', '+', 'COUNT', room)) as [string, string[]][];
    for (const [id, flat] of items) entries.push(parseDeadLetter(stream, id, flat));
  }
  const perStream = streams.map((stream) => ({ stream, deadLetters: counts.get(stream) ?? 0 }));
  return { total: perStream.reduce((n, s) => n + s.deadLetters, 0), streams: perStream, entries };
}

/** Where a replayed entry goes and with which fields. */
export function replayTarget(letter: DeadLetter, ingestKey: string): { key: string; fields: string[] } {
  if (letter.kind === 'malformed-entry') return { key: letter.stream, fields: letter.fields ?? [] };
  const source: RowSource = letter.source ?? (letter.stream === ingestKey ? 'api' : 'capture');
  // A row that did not parse is sent as the text it was: the capture will dead-letter it again, naming why.
  const fields =
    typeof letter.event === 'string' ? ['v', STREAM_FORMAT_VERSION, 'e', `[${letter.event}]`] : encodeEntry([letter.event as JobEvent]);
  return { key: ingestKey, fields: source === 'capture' ? [...fields, REPLAYED_SOURCE_FIELD, 'capture'] : fields };
}

export interface ReplayResult {
  replayed: number;
  /** Entries left in place because their re-append failed, with why. */
  failed: { stream: string; id: string; error: string }[];
}

/**
 * Replay every dead letter of `streams` (see the module comment): re-append, then delete it from
 * the dead-letter stream, one entry at a time, in order. `onEntry` sees each one replayed.
 */
export async function replayDeadLetters(
  redis: RedisClient,
  streams: readonly string[],
  ingestKey: string,
  onEntry: (letter: DeadLetter, target: string) => void = () => undefined,
): Promise<ReplayResult> {
  const result: ReplayResult = { replayed: 0, failed: [] };
  for (const stream of streams) {
    const dead = deadLetterKey(stream);
    let after = '-';
    for (;;) {
      const items = (await redis.xrange(dead, after, '+', 'COUNT', 100)) as [string, string[]][];
      if (items.length === 0) break;
      for (const [id, flat] of items) {
        const letter = parseDeadLetter(stream, id, flat);
        const target = replayTarget(letter, ingestKey);
        try {
          await redis.xadd(target.key, '*', ...target.fields);
        } catch (err) {
          result.failed.push({ stream, id, error: err instanceof Error ? err.message : String(err) });
          continue;
        }
        // Only now: the entry is in its stream again.
        await redis.xdel(dead, id);
        result.replayed++;
        onEntry(letter, target.key);
      }
      after = `(${items.at(-1)![0]}`;
    }
  }
  return result;
}
