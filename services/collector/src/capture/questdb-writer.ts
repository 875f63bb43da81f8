import type { JobEvent } from '@queuescope/contracts';
import { IlpClient, IlpLines } from '../db/ilp.js';
import type { RowSource } from '../db/schema.js';
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
   * Store `captured` (`source = 'capture'`), `gaps` and `fromApi` (`source = 'api'`: rows sent to
   * `POST /api/v1/events`, db/schema.ts ROW_SOURCES) in one transaction; resolves once QuestDB
   * committed them. On rejection nothing is stored (IlpRejectedError: the rows are invalid;
   * IlpUnavailableError: try again later).
   */
  async write(captured: readonly JobEvent[], gaps: readonly GapRow[] = [], fromApi: readonly JobEvent[] = []): Promise<void> {
    const lines = new IlpLines();
    addEvents(lines, captured, 'capture');
    addEvents(lines, fromApi, 'api');
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

/** `job_events` rows of one source; the hot path of the capture: one more symbol per row, nothing else. */
function addEvents(lines: IlpLines, events: readonly JobEvent[], source: RowSource): void {
  for (const e of events) {
    lines
      .row('job_events')
      .symbol('source', source)
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
}
