import type { EventPublisher, JobEvent } from '@queuescope/contracts';
import type { Logger } from 'pino';

/** Backoff between attempts to store an event while Redis refuses it, ms. */
const RETRY_MS = [50, 100, 250, 500, 1000, 2000];

/**
 * Publish `event` and resolve only once it is stored, retrying through Redis outages: a job must
 * not move on in BullMQ before its event is durable (publish before ack, DESIGN invariant 3).
 * Gives up only when `stopped()` says the process is going away; BullMQ then sees a stall.
 */
export async function publishDurably(publisher: EventPublisher, streamKey: string, event: JobEvent, log: Logger, stopped: () => boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await publisher.publish(streamKey, event);
      return;
    } catch (err) {
      if (stopped()) throw err;
      log.warn({ err, event: event.event, jobId: event.job_id, attempt }, 'event not stored yet; retrying');
      await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
    }
  }
}
