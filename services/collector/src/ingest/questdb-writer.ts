import { Sender } from '@questdb/nodejs-client';
import type { JobEvent } from '@queuescope/contracts';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Writes event batches to `job_events` through one `Sender` owned by one consumer loop (never
 * shared: its buffer is mutable state). `auto_flush=off`, so one `write()` is one flush is one
 * HTTP request is one QuestDB transaction for the whole batch.
 */
export class QuestdbWriter {
  private constructor(private readonly sender: Sender) {}

  static async create(ilpConf: string, log: FastifyBaseLogger): Promise<QuestdbWriter> {
    const sender = await Sender.fromConfig(ilpConf, {
      log: (level, message) => log[level]({ questdb: true }, String(message)),
    });
    return new QuestdbWriter(sender);
  }

  /**
   * Store `events` as one transaction; resolves once QuestDB accepted them. On rejection nothing
   * can be assumed stored and the sender's buffer is empty (the client drops it), so the caller
   * keeps its copy and retries.
   */
  async write(events: readonly JobEvent[]): Promise<void> {
    try {
      await this.fill(events);
      await this.sender.flush();
    } catch (err) {
      // Never let half a batch linger in the buffer and ride along with the next flush.
      this.sender.reset();
      throw err;
    }
  }

  private async fill(events: readonly JobEvent[]): Promise<void> {
    for (const e of events) {
      const row = this.sender.table('job_events');
      // Symbols first (ILP rule); an empty symbol is left out and reads back as NULL.
      if (e.run_id) row.symbol('run_id', e.run_id);
      row.symbol('queue', e.queue).symbol('event', e.event);
      if (e.job_name) row.symbol('job_name', e.job_name);
      if (e.worker) row.symbol('worker', e.worker);
      row.stringColumn('job_id', e.job_id).intColumn('attempt', e.attempt);
      if (e.wait_ms !== undefined) row.floatColumn('wait_ms', e.wait_ms);
      if (e.run_ms !== undefined) row.floatColumn('run_ms', e.run_ms);
      if (e.latency_ms !== undefined) row.floatColumn('latency_ms', e.latency_ms);
      if (e.error !== undefined) row.stringColumn('error', e.error);
      await row.at(e.ts, 'us');
    }
  }

  async close(): Promise<void> {
    await this.sender.close();
  }
}
