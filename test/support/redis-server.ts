import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, signalAndWait, waitFor } from './processes.js';

const CONF = fileURLToPath(new URL('../../infra/redis.conf', import.meta.url));

/** A private redis-server (infra/redis.conf: AOF on, noeviction) that a test may stop and restart. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'qs-redis-')));
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', [CONF, '--port', String(this.port), '--dir', this.dir, '--daemonize', 'no'], { stdio: 'ignore' });
    this.child = child;
    // Never outlive the test process, even when it dies without running its afterAll.
    const reap = (): void => void child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    await waitFor(
      `redis-server on ${this.port}`,
      async () => {
        const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      },
      20_000,
      100,
    );
  }

  /** SHUTDOWN-like stop (SIGTERM: Redis fsyncs its AOF and exits). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /**
   * A crash: SIGKILL, no shutdown work. Redis writes the AOF buffer to the file (write(2)) before
   * it replies to a command, so what it acknowledged is in the kernel's page cache and survives a
   * process kill; `appendfsync everysec` only bounds what a machine crash loses.
   */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Stop it (SIGTERM) and delete its data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    return signalAndWait(this.child, signal);
  }
}
