/**
 * The live stream's messages. The frame is defined once, in the contracts package, because the
 * collector builds it and this dashboard draws it:
 * `{ ts, queues: {<queue>: {throughput, p50, p95, p99, waitP95, retries, failures, depth}}, workers,
 *    redis: {opsPerSec, usedMemoryBytes, pingMs}, activeRun, runMarkers, slo, newestEventTs }`.
 */
export type { LiveFrame, LiveMessage, LiveQueueSeries } from '@queuescope/contracts/live';
