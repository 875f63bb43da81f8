import type { WorkerConcurrencyReport } from '@queuescope/contracts';
import type { CollectorClient } from '../collector-client.js';

/** The worker processes' CPU during a run's load phase, on the busiest host. */
export interface CpuLoad {
  /** Host whose workers used the largest share of its cores. */
  host: string;
  /** Cores of that host (the workers' own `cores`). */
  hostCores: number;
  /** Highest sum of its workers' `cpu` in one sample, cores (each `cpu` is a ~10 s average). */
  peakCores: number;
  /** Mean of those sums over the samples, cores. */
  meanCores: number;
  /** Samples taken during the load. */
  samples: number;
}

/** One poll of every queue's live workers (a process serving several queues appears once). */
export type CpuSample = readonly WorkerConcurrencyReport[];

/**
 * Per host, the sum of its worker processes' CPU in each sample; the host whose peak is the largest
 * share of its cores wins. Null without any report. Pure.
 */
export function cpuLoad(samples: readonly CpuSample[]): CpuLoad | null {
  const hosts = new Map<string, { cores: number; sums: number[] }>();
  samples.forEach((sample, i) => {
    const seen = new Set<string>();
    for (const w of sample) {
      if (seen.has(w.id)) continue;
      seen.add(w.id);
      const h = hosts.get(w.host) ?? { cores: w.cores, sums: [] };
      hosts.set(w.host, h);
      h.sums[i] = (h.sums[i] ?? 0) + w.cpu;
    }
  });
  let best: CpuLoad | null = null;
  for (const [host, h] of hosts) {
    const sums = h.sums.filter((v) => v !== undefined);
    const peakCores = Math.max(...sums);
    const load: CpuLoad = {
      host,
      hostCores: h.cores,
      peakCores,
      meanCores: sums.reduce((a, b) => a + b, 0) / sums.length,
      samples: sums.length,
    };
    if (!best || load.peakCores / load.hostCores > best.peakCores / best.hostCores) best = load;
  }
  return best;
}

/** How often the sampler polls the workers' reports, ms. */
export const CPU_SAMPLE_MS = 2000;

/**
 * Polls `GET /api/v1/queues/:queue/concurrency` of `queues` every {@link CPU_SAMPLE_MS} while the
 * load runs and keeps what the live workers report; `stop()` gives the load's {@link CpuLoad}. A
 * failed poll is skipped (counted in `failures`): CPU is evidence for tune, not a reason to stop a run.
 */
export class CpuSampler {
  private readonly samples: CpuSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  failures = 0;

  constructor(
    private readonly collector: CollectorClient,
    private readonly queues: readonly string[],
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.inFlight = this.inFlight.then(() => this.poll());
    }, CPU_SAMPLE_MS);
  }

  async stop(): Promise<CpuLoad | null> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
    return cpuLoad(this.samples);
  }

  private async poll(): Promise<void> {
    try {
      const settings = await Promise.all(this.queues.map((q) => this.collector.concurrency(q)));
      this.samples.push(settings.flatMap((s) => s.workers));
    } catch {
      this.failures++;
    }
  }
}
