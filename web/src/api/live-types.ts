/** The live frame is defined once, in the contracts package (what the collector sends). */
export type { LiveFrame, LiveMessage, LiveQueueSeries } from '@queuescope/contracts/live';
