import { Sender } from '@questdb/nodejs-client';
import type { JobEvent } from '@queuescope/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { GapRow } from './stream-source.js';

/**
 * Writes the capture's rows through one `Sender` owned by the capture loop (never shared: its
 * buffer is mutable state). `auto_flush=off`, so one `write()` is one flush is one HTTP request:
 * every captured queue's events of one interval in one QuestDB transaction (plus one for gaps).
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
   * Store `events` and `gaps`; resolves once QuestDB accepted them. On rejection nothing can be
   * assumed stored and the sender's buffer is empty, so the caller keeps its copy and retries.
   */
  async write(events: readonly JobEvent[], gaps: readonly GapRow[] = []): Promise<void> {
    try {
      for (const e of events) await this.row(e);
      for (const g of gaps) {
        await this.sender.table('capture_gaps').symbol('stream', g.streamKey).symbol('queue', g.queue).intColumn('lost', g.lost).at(g.ts, 'ms');
      }
      await this.sender.flush();
    } catch (err) {
      // Never let half a batch linger in the buffer and ride along with the next flush.
      this.sender.reset();
      throw err;
    }
  }

  private async row(e: JobEvent): Promise<void> {
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

  async close(): Promise<void> {
    await this.sender.close();
  }
}
