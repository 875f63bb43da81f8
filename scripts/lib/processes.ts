import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  /** Log prefix, e.g. `worker-3`. */
  name: string;
  /** TypeScript entry point, run as `node --import tsx <entry>` so the pid is the service itself. */
  entry: string;
  env?: Record<string, string>;
  /** Restart the process when it exits without being asked to. */
  restart: boolean;
}

const COLORS = [36, 33, 35, 32, 34, 96, 93, 95, 92, 94];
/** Longest wait before restarting a process that keeps dying, ms. */
const MAX_RESTART_DELAY_MS = 5000;

/** A child process with prefixed output that is restarted (with backoff) when it dies unasked. */
export class Supervised {
  child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: ProcessSpec,
    private readonly color: number,
    private readonly write: (line: string) => void,
  ) {}

  start(): void {
    const child = spawn(process.execPath, ['--import', 'tsx', this.spec.entry], {
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: Ctrl-C reaches only the supervisor, which stops children in order.
      detached: true,
    });
    this.child = child;
    const prefix = `\x1b[${this.color}m${this.spec.name.padEnd(12)}|\x1b[0m `;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => this.write(prefix + line));
    }
    const startedAt = Date.now();
    this.exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        resolve();
        if (this.stopping || !this.spec.restart) {
          this.write(`${prefix}exited (${signal ?? code})`);
          return;
        }
        if (Date.now() - startedAt > 30_000) this.restarts = 0;
        const delay = Math.min(250 * 2 ** this.restarts++, MAX_RESTART_DELAY_MS);
        this.write(`${prefix}died (${signal ?? `exit ${code}`}); restarting in ${delay} ms`);
        setTimeout(() => this.stopping || this.start(), delay);
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. Idempotent. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Start every spec; returns the handles and a `stopAll` that stops them in reverse order. */
export function superviseAll(specs: readonly ProcessSpec[], write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  const procs = specs.map((spec, i) => new Supervised(spec, COLORS[i % COLORS.length]!, write));
  for (const p of procs) p.start();
  let stopping: Promise<void> | undefined;
  const stopAll = (graceMs = 15_000): Promise<void> => {
    stopping ??= (async () => {
      for (const group of [...groupsInReverse(procs)]) await Promise.all(group.map((p) => p.stop(graceMs)));
    })();
    return stopping;
  };
  return { procs, stopAll };
}

/** Processes grouped by name stem (`worker-1`… form one group), last group first. */
function* groupsInReverse(procs: Supervised[]): Generator<Supervised[]> {
  const groups = new Map<string, Supervised[]>();
  for (const p of procs) {
    const stem = p.spec.name.replace(/-\d+$/, '');
    groups.set(stem, [...(groups.get(stem) ?? []), p]);
  }
  yield* [...groups.values()].reverse();
}
