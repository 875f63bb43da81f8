import { Type, type Static } from 'typebox';
import { CLOSED } from './common.js';

/** One dead-lettered entry of `GET /api/v1/dead-letters`, with the reason it could not be stored. */
export const DeadLetterSchema = Type.Object(
  {
    stream: Type.String({ description: 'the captured stream it came from' }),
    id: Type.String({ description: 'its id in the dead-letter stream (`<stream>:dead`)' }),
    at: Type.Integer({ description: 'when it was dead-lettered, epoch ms' }),
    kind: Type.Enum(['refused-row', 'malformed-entry'] as const, {
      description: '`refused-row`: QuestDB refused the row (HTTP 400); `malformed-entry`: an ingest entry that does not decode',
    }),
    reason: Type.String({ description: 'why it was dead-lettered' }),
    source: Type.Optional(Type.Enum(['capture', 'api'] as const, { description: 'refused row: who wrote it' })),
    event: Type.Optional(Type.Unknown({ description: 'refused row: the row as it was sent' })),
    sourceId: Type.Optional(Type.String({ description: 'malformed entry: its id in the captured stream' })),
    fields: Type.Optional(Type.Array(Type.String(), { description: 'malformed entry: its fields, flat [name, value, …]' })),
  },
  CLOSED,
);

/** `GET /api/v1/dead-letters`: counts per captured stream, and the entries, oldest first per stream. */
export const DeadLettersSchema = Type.Object(
  {
    total: Type.Integer({ description: 'entries in all dead-letter streams' }),
    streams: Type.Array(
      Type.Object({ stream: Type.String(), deadLetters: Type.Integer({ description: 'entries in its dead-letter stream' }) }, CLOSED),
    ),
    entries: Type.Array(DeadLetterSchema, { description: 'oldest first per stream, at most `limit`' }),
  },
  CLOSED,
);
export type DeadLettersPage = Static<typeof DeadLettersSchema>;
