import type { JobEvent } from '@queuescope/contracts';
import { IlpClient, IlpLines } from '../db/ilp.js';
import type { GapRow } from './stream-source.js';

/**
 * Writes the capture's rows: one `write()` is one HTTP request is one QuestDB transaction holding
 * every captured queue's events of one interval (plus the gaps noticed in it).
 */
export class QuestdbWriter {
  private constructor(private readonly client: IlpClient) {}

  static create(ilpConf: string): QuestdbWriter {
    return new QuestdbWriter(IlpClient.fromConf(ilpConf));
  }

  /**
   * Store `events` and `gaps`; resolves once QuestDB committed them. On rejection nothing is
   * stored (IlpRejectedError: the rows are invalid; IlpUnavailableError: try again later).
   */
  async write(events: readonly JobEvent[], gaps: readonly GapRow[] = []): Promise<void> {
    const lines = new IlpLines();
    for (const e of events) {
      lines
        .row('job_events')
        .symbol('run_id', e.run_id)
        .symbol('queue', e.queue)
        .symbol('event', e.event)
        .symbol('job_name', e.job_name)
        .symbol('worker', e.worker)
        .string('job_id', e.job_id)
        .int('attempt', e.attempt)
        .float('wait_ms', e.wait_ms)
        .float('run_ms', e.run_ms)
        .float('latency_ms', e.latency_ms)
        .string('error', e.error)
        .at(e.ts);
    }
    for (const g of gaps)
      lines
        .row('capture_gaps')
        .symbol('stream', g.streamKey)
        .symbol('queue', g.queue)
        .int('lost', g.lost)
        .at(g.ts * 1000);
    await this.client.send(lines);
  }

  close(): void {
    this.client.close();
  }
}
