import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a real server (Redis, QuestDB's PGWire) that a test can cut: `cut()`
 * destroys every relayed connection and refuses new ones until `restore()`. The server itself keeps
 * running for every other test; only this test's client loses it, exactly as on a network failure.
 */
export class TcpRelay {
  private readonly sockets = new Set<Socket>();
  private open = true;
  private readonly server: Server = createServer((client) => {
    if (!this.open) return void client.destroy();
    const upstream = createConnection({ host: this.target.host, port: this.target.port });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listen on a free loopback port; resolves with it. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  /** Drop every relayed connection and refuse new ones. */
  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  /** Accept connections again. */
  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
