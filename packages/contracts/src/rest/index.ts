/**
 * Every REST request and response shape of the collector, once (STYLE R4): TypeBox schemas the
 * routes use, with the `Static<>` types analytics returns and the dashboard imports (`import type`).
 */
export * from './common.js';
export * from './runs.js';
export * from './summary.js';
export * from './diagnosis.js';
export * from './compare.js';
export * from './timeseries.js';
export * from './live-frame.js';
export * from './dead-letters.js';
export * from './concurrency.js';
