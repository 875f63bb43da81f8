import { Type, type Static } from 'typebox';
import { CLOSED, Num } from './common.js';

/** One value per second of the frame's `ts`; null when the second has none. */
const Column = Type.Array(Num);

/** One queue's columns of the live frame. Every number comes from SQL. */
export const LiveQueueSeriesSchema = Type.Object(
  {
    /** Jobs finished per second. */
    throughput: Column,
    /** End-to-end latency percentiles of jobs finished in the second, ms. */
    p50: Column,
    p95: Column,
    p99: Column,
    /** Message delay p95 of first attempts started in the second, ms. */
    waitP95: Column,
    /** Retries and final failures per second. */
    retries: Column,
    failures: Column,
    /** Waiting jobs, sampled once per second. */
    depth: Column,
  },
  CLOSED,
);
export type LiveQueueSeries = Static<typeof LiveQueueSeriesSchema>;

/**
 * The live stream's frame (`GET /api/v1/live`): what the collector sends and the dashboard draws.
 * Columnar and aligned on one `ts` axis, one entry per second.
 */
export const LiveFrameSchema = Type.Object(
  {
    /** Start of each second, epoch ms, ascending. */
    ts: Type.Array(Type.Number()),
    queues: Type.Record(Type.String(), LiveQueueSeriesSchema),
    /** Jobs finished per second by each worker process (`host:pid`). */
    workers: Type.Record(Type.String(), Column),
    redis: Type.Object({ opsPerSec: Column, usedMemoryBytes: Column, pingMs: Column }, CLOSED),
    activeRun: Type.Union([
      Type.Object(
        {
          id: Type.String(),
          name: Type.String(),
          scenario: Type.Union([Type.String(), Type.Null()]),
          engine: Type.Union([Type.String(), Type.Null()]),
          startedAt: Type.String(),
          vus: Num,
        },
        CLOSED,
      ),
      Type.Null(),
    ]),
    runMarkers: Type.Array(
      Type.Object({ ts: Type.Number(), runId: Type.String(), kind: Type.Enum(['start', 'end'] as const), name: Type.String() }, CLOSED),
    ),
    /** SLO targets per queue, for the lines on the latency charts. */
    slo: Type.Record(Type.String(), Type.Object({ p95Ms: Type.Number(), p99Ms: Type.Number(), maxErrorRate: Type.Number() }, CLOSED)),
    /** ts of the newest stored event, epoch ms. */
    newestEventTs: Num,
  },
  CLOSED,
);
export type LiveFrame = Static<typeof LiveFrameSchema>;

/** Messages the live stream sends. */
export const LiveMessageSchema = Type.Union([
  Type.Object({ type: Type.Enum(['backfill', 'tick'] as const), frame: LiveFrameSchema }, CLOSED),
  Type.Object({ type: Type.Literal('error'), message: Type.String() }, CLOSED),
]);
export type LiveMessage = Static<typeof LiveMessageSchema>;
