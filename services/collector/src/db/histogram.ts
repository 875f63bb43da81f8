import { sql, type RawBuilder } from 'kysely';

/**
 * Log-scale value buckets of the duration histograms (the `*_hist_1s` views): bucket `b` holds
 * values in [BASE · GROWTH^b, BASE · GROWTH^(b+1)) ms; values below BASE fall in negative buckets and 0 in
 * ZERO_BUCKET. A percentile read from the buckets is the bucket's geometric midpoint clamped to the
 * smallest and largest value the bucket actually holds, so it is within √GROWTH − 1 ≈ 0.5 % of the
 * exact nearest-rank value, whatever the window or the number of rows.
 */
export const BUCKET_BASE_MS = 0.01;
export const BUCKET_GROWTH = 1.01;

/** Bucket of the value 0 (whose logarithm is −∞): below every other bucket. */
export const ZERO_BUCKET = -100_000;

/** The bucket of `column` (ms), as the views compute it. */
export function bucketOf(column: string): string {
  return `coalesce(cast(floor(ln(${column} / ${BUCKET_BASE_MS}) / ln(${BUCKET_GROWTH})) AS int), ${ZERO_BUCKET})`;
}

/** The value a percentile reports for the bucket row in scope (`b`, `lo`, `hi`), ms. */
export const BUCKET_VALUE: RawBuilder<unknown> = sql.raw(`greatest(lo, least(hi, ${BUCKET_BASE_MS} * power(${BUCKET_GROWTH}, b + 0.5)))`);
