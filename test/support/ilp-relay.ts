import { createServer, type IncomingMessage, type Server } from 'node:http';

/** When an armed trap fires: before the write reaches QuestDB, or after QuestDB committed it (2xx). */
export type TrapMoment = 'before-write' | 'after-write';

interface Trap {
  moment: TrapMoment;
  needle: string;
  action: () => Promise<void>;
  beforeForward: (() => Promise<void>) | undefined;
  fired: (upstreamStatus: number | null) => void;
}

// Hop-by-hop, or no longer true once fetch has decoded the body.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'host']);

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An HTTP relay between the collector's ILP sender and QuestDB that forwards everything, except
 * that one armed write runs an action (a SIGKILL of the collector) at a chosen moment: before the
 * write reaches QuestDB, or after QuestDB answered 2xx (the batch is committed) and before the
 * collector hears it. The collector is then dead and never answered, exactly as when it dies
 * between its QuestDB write and its ack. A real QuestDB does every write; only the timing is ours.
 */
export class IlpRelay {
  private trap: Trap | undefined;
  private readonly server: Server = createServer((req, res) => {
    this.handle(req).then(
      (answer) => {
        if (answer === 'drop') return void res.destroy();
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      },
      () => res.destroy(),
    );
  });
  private port = 0;

  private constructor(private readonly target: string) {}

  /** Start relaying to QuestDB's HTTP server at `target` (`host:port`). */
  static async start(target: string): Promise<IlpRelay> {
    const relay = new IlpRelay(target);
    await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
    const address = relay.server.address();
    if (typeof address !== 'object' || !address) throw new Error('relay has no port');
    relay.port = address.port;
    return relay;
  }

  /** `host:port` to give the sender (`QUESTDB_ILP_CONF=http::addr=…`). */
  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * Arm a trap on the next write whose body contains `needle` (e.g. a run id); resolves with
   * QuestDB's status once the action ran (null when the write never reached QuestDB).
   * `beforeForward` runs when the write is caught, before QuestDB sees it ('after-write' only).
   */
  arm(moment: TrapMoment, needle: string, action: () => Promise<void>, beforeForward?: () => Promise<void>): Promise<number | null> {
    return new Promise((fired) => (this.trap = { moment, needle, action, beforeForward, fired }));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<'drop' | { status: number; headers: Record<string, string>; body: Buffer }> {
    const body = await bodyOf(req);
    const trap = this.trap;
    const trapped = trap !== undefined && (req.url ?? '').startsWith('/write') && body.includes(trap.needle);
    if (trapped && trap.moment === 'before-write') {
      this.trap = undefined;
      await trap.action();
      trap.fired(null);
      return 'drop';
    }
    if (trapped) await trap.beforeForward?.();
    const upstream = await this.forward(req, body);
    if (trapped && trap.moment === 'after-write' && upstream.status >= 200 && upstream.status < 300) {
      this.trap = undefined;
      await trap.action();
      trap.fired(upstream.status);
      return 'drop';
    }
    return upstream;
  }

  private async forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !HOP_BY_HOP.has(k)) headers[k] = v;
    const res = await fetch(`http://${this.target}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
    });
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k)) out[k] = v;
    });
    return { status: res.status, headers: out, body: Buffer.from(await res.arrayBuffer()) };
  }
}
