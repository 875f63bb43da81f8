import { RUN_ID_PATTERN } from '@queuescope/contracts';
import { Type, type Static } from 'typebox';

/** `X-Run-Id` and `Idempotency-Key` headers every enqueue route accepts. */
export const EnqueueHeaders = Type.Object({
  'x-run-id': Type.Optional(Type.String({ pattern: RUN_ID_PATTERN, description: 'load-test run this job belongs to' })),
  'idempotency-key': Type.Optional(
    Type.String({ pattern: '^[\\x21-\\x7e]{1,200}$', description: 'same key → same job, one `added` event' }),
  ),
});
export type EnqueueHeaders = Static<typeof EnqueueHeaders>;

/** Body of `POST /api/v1/queues/:queue/jobs`. */
export const GenericJobBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, description: 'BullMQ job name' }),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'job payload' })),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000, description: 'start no earlier than this, ms' })),
  },
  { additionalProperties: false },
);

export const PaymentBody = Type.Object(
  {
    amount: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000_000 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    customerId: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export const NotificationBody = Type.Object(
  {
    channel: Type.Union([Type.Literal('email'), Type.Literal('sms'), Type.Literal('push')]),
    to: Type.String({ minLength: 1, maxLength: 256 }),
    message: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);

export const WebhookBody = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
    event: Type.String({ minLength: 1, maxLength: 128 }),
    payload: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const Accepted = Type.Object({
  jobId: Type.String(),
  queue: Type.String(),
  duplicate: Type.Boolean(),
});
