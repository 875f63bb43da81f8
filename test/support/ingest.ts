import type { IngestStatus } from '@queuescope/contracts';
import { waitFor } from './processes.js';

/** `GET /api/v1/ingest/status` of the collector at `collectorUrl`. */
export async function ingestStatus(collectorUrl: string): Promise<IngestStatus> {
  return (await fetch(`${collectorUrl}/api/v1/ingest/status`)).json() as Promise<IngestStatus>;
}

/** Until every captured stream has nothing unread and nothing read-but-unstored. */
export async function waitIngestDrained(collectorUrl: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    'nothing pending or unread',
    async () => {
      const s = await ingestStatus(collectorUrl);
      return s.totals.pending === 0 && s.totals.unread === 0;
    },
    timeoutMs,
  );
}
