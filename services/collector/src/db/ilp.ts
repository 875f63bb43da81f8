import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

/**
 * QuestDB's InfluxDB line protocol over HTTP (`POST /write`), written by hand for one reason: cost.
 * `@questdb/nodejs-client` 4.2 writes every character of every value with its own `Buffer.write`,
 * which was ~40 % of the collector's CPU under load (`node --cpu-prof`, bench:extreme). Here a
 * batch is one JS string built by concatenation and encoded once. One `send` is one HTTP request
 * is one QuestDB transaction; it never blocks past its timeout, also when QuestDB is down.
 *
 * Text format (protocol version 1): `table,sym=v,… col=v,… <µs>\n`, sent with `precision=u`.
 */

/** Characters that must be escaped in a symbol value (or a column name); tested before escaping. */
const SYMBOL_SPECIAL = /[ ,=\n\r\\]/;
const SYMBOL_ESCAPE = /[ ,=\n\r\\]/g;
/** Characters that must be escaped inside a quoted string value. */
const STRING_SPECIAL = /["\n\r\\]/;
const STRING_ESCAPE = /["\n\r\\]/g;

const escapeSymbol = (v: string): string => (SYMBOL_SPECIAL.test(v) ? v.replace(SYMBOL_ESCAPE, '\\$&') : v);
const quoteString = (v: string): string => `"${STRING_SPECIAL.test(v) ? v.replace(STRING_ESCAPE, '\\$&') : v}"`;

/**
 * Rows of a batch, for any number of tables. Per row: `row(table)`, then symbols, then columns, then
 * `at(µs)`. Names are the caller's own constants and are not escaped; values always are. Left out
 * (read back as NULL): a symbol that is `undefined` or `''`, a string that is `undefined`, a number
 * that is `undefined` or not finite. An empty string is stored as ''.
 */
export class IlpLines {
  private text = '';
  private pending = '';
  private fields = 0;

  /** No row completed yet. */
  get isEmpty(): boolean {
    return this.text === '';
  }

  row(table: string): this {
    if (this.pending !== '') throw new Error(`ILP row of ${this.pending.split(',')[0]} was not closed with at()`);
    this.pending = table;
    this.fields = 0;
    return this;
  }

  symbol(name: string, value: string | undefined): this {
    if (this.fields > 0) throw new Error(`ILP symbol ${name} after a column: symbols come first`);
    if (value) this.pending += `,${name}=${escapeSymbol(value)}`;
    return this;
  }

  string(name: string, value: string | undefined): this {
    if (value !== undefined) this.column(name, quoteString(value));
    return this;
  }

  /** A LONG column; `value` must be an integer. */
  int(name: string, value: number): this {
    if (!Number.isSafeInteger(value)) throw new Error(`ILP column ${name}: ${value} is not an integer`);
    return this.column(name, `${value}i`);
  }

  /** A DOUBLE column. */
  float(name: string, value: number | undefined): this {
    if (value !== undefined && Number.isFinite(value)) this.column(name, String(value));
    return this;
  }

  /** Close the row with its designated timestamp, epoch µs. */
  at(tsMicros: number): this {
    if (!Number.isSafeInteger(tsMicros)) throw new Error(`ILP timestamp ${tsMicros} is not an integer of µs`);
    if (this.fields === 0) throw new Error(`ILP row of ${this.pending.split(',')[0]} has no column`);
    this.text += `${this.pending} ${tsMicros}\n`;
    this.pending = '';
    return this;
  }

  toString(): string {
    return this.text;
  }

  private column(name: string, encoded: string): this {
    this.pending += `${this.fields === 0 ? ' ' : ','}${name}=${encoded}`;
    this.fields++;
    return this;
  }
}

/** QuestDB refused the rows themselves (HTTP 400): sending them again would fail the same way. */
export class IlpRejectedError extends Error {
  override readonly name = 'IlpRejectedError';
  constructor(
    message: string,
    /** QuestDB's own words for what is wrong with the rows (no address): what a dead letter keeps. */
    readonly reason: string = message,
  ) {
    super(message);
  }
}

/** QuestDB did not take the rows (down, timeout, 5xx, refused credentials): nothing is stored; retry later. */
export class IlpUnavailableError extends Error {
  override readonly name = 'IlpUnavailableError';
}

interface IlpTarget {
  secure: boolean;
  host: string;
  port: number;
  authorization?: string;
  timeoutMs: number;
  tls: { rejectUnauthorized: boolean; ca?: Buffer };
}

/** Keys of the config string this client reads. */
const USED_KEYS = new Set(['addr', 'username', 'password', 'token', 'request_timeout', 'tls_verify', 'tls_ca']);
/** Keys of the `@questdb/nodejs-client` config string that mean nothing to a one-request-per-send client. */
const IGNORED_KEYS = new Set([
  'auto_flush',
  'auto_flush_rows',
  'auto_flush_interval',
  'protocol_version',
  'init_buf_size',
  'max_buf_size',
  'max_name_len',
  'request_min_throughput',
  'retry_timeout',
  'copy_buffer',
]);

/**
 * Parses QuestDB's client config string (`http::addr=host:port;token=…;`, the format every QuestDB
 * client shares): `addr`, `username` + `password` or `token`, `request_timeout` (ms, default 10 000),
 * `tls_verify` (`on` | `unsafe_off`) and `tls_ca` for `https::`. Buffer and flush keys are accepted
 * and ignored; any other key is an error naming it.
 */
export function parseIlpConf(conf: string): IlpTarget {
  const m = /^(https?)::(.*)$/.exec(conf);
  if (!m) throw new Error('QUESTDB_ILP_CONF must start with http:: or https::');
  const kv = new Map<string, string>();
  for (const part of m[2]!.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`QUESTDB_ILP_CONF: "${part.split('=')[0]}" has no value`);
    kv.set(part.slice(0, eq).trim(), part.slice(eq + 1));
  }
  for (const key of kv.keys()) {
    if (!USED_KEYS.has(key) && !IGNORED_KEYS.has(key)) throw new Error(`QUESTDB_ILP_CONF: unknown key ${key}`);
  }
  const addr = kv.get('addr');
  if (!addr) throw new Error('QUESTDB_ILP_CONF: addr is required');
  const secure = m[1] === 'https';
  const colon = addr.lastIndexOf(':');
  const host = colon > 0 ? addr.slice(0, colon) : addr;
  const port = colon > 0 ? Number(addr.slice(colon + 1)) : 9000;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('QUESTDB_ILP_CONF: addr has no valid port');
  const timeoutMs = kv.has('request_timeout') ? Number(kv.get('request_timeout')) : 10_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new Error('QUESTDB_ILP_CONF: request_timeout must be a positive integer of ms');
  const token = kv.get('token');
  const user = kv.get('username');
  const authorization = token
    ? `Bearer ${token}`
    : user !== undefined
      ? `Basic ${Buffer.from(`${user}:${kv.get('password') ?? ''}`).toString('base64')}`
      : undefined;
  const ca = kv.get('tls_ca');
  return {
    secure,
    host,
    port,
    timeoutMs,
    ...(authorization ? { authorization } : {}),
    tls: { rejectUnauthorized: kv.get('tls_verify') !== 'unsafe_off', ...(ca ? { ca: readFileSync(ca) } : {}) },
  };
}

/** Sends batches of `IlpLines` to QuestDB's `/write`, one request (one transaction) at a time per caller. */
export class IlpClient {
  private readonly agent: http.Agent;

  private constructor(private readonly target: IlpTarget) {
    const options = { keepAlive: true, maxSockets: 2 };
    this.agent = target.secure ? new https.Agent({ ...options, ...target.tls }) : new http.Agent(options);
  }

  static fromConf(conf: string): IlpClient {
    return new IlpClient(parseIlpConf(conf));
  }

  /**
   * Store `lines` as one transaction; resolves once QuestDB committed them. Rejects with
   * IlpRejectedError (400: the data is invalid) or IlpUnavailableError (anything else), never later
   * than the request timeout. A socket that a keep-alive peer closed is retried once at once.
   */
  async send(lines: IlpLines): Promise<void> {
    if (lines.isEmpty) return;
    const body = Buffer.from(lines.toString(), 'utf8');
    try {
      await this.post(body);
    } catch (err) {
      if (!(err instanceof IlpUnavailableError) || !/ECONNRESET|socket hang up/.test(err.message)) throw err;
      await this.post(body);
    }
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * One POST. The timer starts before the connection is made and ends only when the whole answer
   * has arrived, so it bounds connect, request, QuestDB's commit and the response body alike; a
   * response cut off midway rejects too (never a promise left pending).
   */
  private post(body: Buffer): Promise<void> {
    const t = this.target;
    const where = `QuestDB ILP at ${t.host}:${t.port}`;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const request = (t.secure ? https : http).request(
        {
          host: t.host,
          port: t.port,
          method: 'POST',
          path: '/write?precision=u',
          agent: this.agent,
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            'content-length': body.length,
            ...(t.authorization ? { authorization: t.authorization } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => settle(new IlpUnavailableError(`${where}: ${err.message}`)));
          res.on('close', () => settle(new IlpUnavailableError(`${where}: answer cut off`)));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status === 204 || status === 200) return settle();
            const text = Buffer.concat(chunks).toString('utf8');
            let message = text;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {
              // not JSON: keep the text
            }
            const detail = `${where} answered ${status}: ${message.slice(0, 1000)}`;
            settle(status === 400 ? new IlpRejectedError(detail, message.slice(0, 1000)) : new IlpUnavailableError(detail));
          });
        },
      );
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${t.timeoutMs} ms`)), t.timeoutMs);
      request.on('error', (err) => settle(new IlpUnavailableError(`${where}: ${err.message}`)));
      request.end(body);
    });
  }
}
