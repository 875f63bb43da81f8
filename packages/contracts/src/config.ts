import { Type, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { QUEUE_NAMES, QUEUE_PROFILES, type LatencyDistribution, type QueueName, type QueueProfile } from './queues.js';

/** Everything a queuescope process can be configured with; built only by {@link parseConfig}. */
export interface Config {
  /** Prefix of every Redis key (`{<namespace>:<queue>}`); tests use a unique one each. */
  namespace: string;
  redisUrl: string;
  /**
   * `REDIS_CLUSTER_NODES`: seed nodes (`host:port`) of a Redis Cluster; when set, every process uses
   * an ioredis `Cluster` client on them instead of `redisUrl`. Empty: one Redis at `redisUrl`.
   */
  redisClusterNodes: { host: string; port: number }[];
  /**
   * `REDIS_WAIT_REPLICAS`: replicas that must acknowledge a job's write (Redis `WAIT`) before the
   * producer answers 202; 0 = do not wait. Replication is asynchronous: without it, a job a master
   * acknowledged can vanish in a failover.
   */
  redisWaitReplicas: number;
  /** `REDIS_WAIT_TIMEOUT_MS`: longest the producer waits for those replicas before answering 503, ms. */
  redisWaitTimeoutMs: number;
  questdb: {
    /** `host:port` of QuestDB's HTTP server (REST, ILP over HTTP, /ping). */
    http: string;
    pg: { host: string; port: number; user: string; password: string; database: string };
    /** QuestDB client config string (`http::addr=host:port;token=…;`), parsed by the collector's ILP client (services/collector/src/db/ilp.ts). */
    ilpConf: string;
  };
  producer: {
    host: string;
    port: number;
    /** Largest accepted request body, bytes; larger gets 413. */
    bodyLimit: number;
    /** How long an `Idempotency-Key` is remembered, seconds. */
    idempotencyTtlSec: number;
  };
  collector: {
    host: string;
    port: number;
    /** Most stream entries read from one events stream per commit. */
    batchSize: number;
    /**
     * Time between two QuestDB commits, ms: every captured stream's events of one interval go in
     * one transaction (QuestDB's cost is per transaction, not per row). Bounds how long an event
     * waits before it is stored.
     */
    flushIntervalMs: number;
    /**
     * How long a collector owns a stream without renewing, ms: one collector reads a stream at a
     * time, so its events are processed in order; after a crash another takes over within this.
     */
    leaseMs: number;
    /** Extra BullMQ queues to capture, unchanged apps included: `prefix:queue`, or `prefix:*` for every queue under a prefix. */
    attach: AttachTarget[];
    /**
     * The collector process's nice value (0 normal … 19 lowest): the observer yields the CPU to the
     * observed services when the machine is saturated, and catches up from the streams afterwards.
     */
    nice: number;
    /** Bounds on what one client can make the collector spend; each answers 413, 429 or 503 with a reason. */
    limits: CollectorLimits;
  };
  /** Who may write, and from where the dashboard may connect. */
  auth: {
    /** `QS_API_TOKEN`: bearer token for every collector write route and the live WebSocket; null = no auth (loopback only). */
    collectorToken: string | null;
    /** `PRODUCER_API_TOKEN`: bearer token for every producer write route; null = no auth (loopback only). */
    producerToken: string | null;
    /** `QS_INSECURE=1`: allow a service without a token to listen on a non-loopback address. */
    insecure: boolean;
    /** `QS_ALLOWED_ORIGINS`: origins besides the collector's own that may open the live WebSocket. */
    allowedOrigins: string[];
  };
  events: {
    /**
     * `streams.events.maxLen` the producer gives BullMQ: the approximate number of entries BullMQ
     * keeps in each queue's events stream. Entries trimmed before the collector read them are lost
     * (and counted): the stream must hold more than the collector's worst pause at the peak rate.
     */
    maxLen: number;
  };
  worker: {
    /** Worker processes `npm run workers` keeps running. */
    instances: number;
    /** Queues this worker process serves. */
    queues: QueueName[];
    /** BullMQ `lockDuration`: a job whose worker stops renewing its lock this long is stalled, ms. */
    lockDurationMs: number;
    /** BullMQ `stalledInterval`: how often workers look for stalled jobs, ms. */
    stalledIntervalMs: number;
    /** Most slots per worker process a run-time concurrency setting may ask for (`PUT /api/v1/queues/:queue/concurrency`, tune). */
    maxConcurrency: number;
  };
  queues: Record<QueueName, QueueProfile>;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** The collector's resource limits (`COLLECTOR_*` variables; defaults in {@link parseConfig} and `.env.example`). */
export interface CollectorLimits {
  /** pg connections to QuestDB. */
  pgPoolSize: number;
  /** Longest a SQL statement of a read route may run before it is cancelled and the route answers 503, ms. */
  pgStatementTimeoutMs: number;
  /** Longest a request waits for a free pg connection before it answers 503, ms. */
  pgAcquireTimeoutMs: number;
  /** Open live WebSockets per collector process; one more is refused. */
  wsMaxConnections: number;
  /** Subscribe messages one WebSocket may send per minute. */
  wsMaxSubscribesPerMinute: number;
  /** Distinct runs the live ticker queries at once (each costs its own SQL every second; a queue filter is cut in memory and costs nothing). */
  liveMaxFilters: number;
  /** A WebSocket with more than this unsent is skipped (ticks) or closed (backfill), bytes. */
  wsMaxBufferedBytes: number;
  /** Distinct queues in one `POST /api/v1/events` request, and most queues a run's timeseries or compare reads. */
  maxQueuesPerRequest: number;
  /** Most rows one export returns. */
  exportMaxRows: number;
  /** Longest one export may run, ms. */
  exportTimeoutMs: number;
  /** Exports running at once; one more gets 429. */
  exportConcurrency: number;
}

/** One `COLLECTOR_ATTACH` item: a BullMQ prefix and a queue name, or `*` for every queue under it. */
export interface AttachTarget {
  prefix: string;
  queue: string | '*';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

/** Variables whose value may hold a secret: a `ConfigError` about them never repeats the value. */
const SECRET_VARIABLES = new Set(['QS_API_TOKEN', 'PRODUCER_API_TOKEN', 'QUESTDB_PG_PASSWORD', 'QUESTDB_ILP_CONF', 'REDIS_URL']);

/** How a value appears in an error message: quoted, or not at all for a secret. */
const shown = (name: string, raw: string): string => (SECRET_VARIABLES.has(name) ? '(value not shown: it may hold a secret)' : `'${raw}'`);

/** Strict decimal forms: `2.5` is not an integer, and `true`, `0x10`, `1e3` are not numbers here. */
const INTEGER_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/** Read one variable, convert it to `schema`'s type without guessing, validate it, fail naming the variable. */
function read<T>(env: Env, name: string, schema: TSchema, fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const type = (schema as { type?: string }).type;
  let value: unknown = raw;
  if (type === 'integer' || type === 'number') {
    const text = raw.trim();
    if (!(type === 'integer' ? INTEGER_TEXT : NUMBER_TEXT).test(text)) {
      throw new ConfigError(name, `invalid value ${shown(name, raw)} (expected ${type === 'integer' ? 'an integer' : 'a decimal number'})`);
    }
    value = Number(text);
  }
  if (!Value.Check(schema, value)) {
    const first = [...Value.Errors(schema, value)][0];
    throw new ConfigError(name, `invalid value ${shown(name, raw)}${first ? ` (${first.message})` : ''}`);
  }
  return value as T;
}

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const PositiveInt = Type.Integer({ minimum: 1 });
const Rate = Type.Number({ minimum: 0, maximum: 1 });
const NonEmpty = Type.String({ minLength: 1 });
const HostPort = Type.String({ pattern: '^[^:\\s]+:\\d{1,5}$' });
const LogLevel = Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);
const Namespace = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
/** A bearer token: 16+ printable ASCII characters without spaces (RFC 6750 b64token plus a few). */
const Token = Type.String({ pattern: '^[A-Za-z0-9._~+/=-]{16,512}$' });
const Flag = Type.Enum(['0', '1'] as const);
const Ms = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum });

/**
 * `fixed:50` | `uniform:10:80` | `lognormal:<median>:<p99>` (all ms) → a {@link LatencyDistribution}.
 */
export function parseLatency(name: string, raw: string): LatencyDistribution {
  const [kind, ...nums] = raw.split(':');
  const values = nums.map((n) => (NUMBER_TEXT.test(n.trim()) ? Number(n) : NaN));
  const ok = values.length > 0 && values.every((v) => Number.isFinite(v) && v >= 0);
  if (ok && kind === 'fixed' && values.length === 1) return { kind, ms: values[0]! };
  if (ok && kind === 'uniform' && values.length === 2 && values[0]! <= values[1]!) {
    return { kind, min: values[0]!, max: values[1]! };
  }
  if (ok && kind === 'lognormal' && values.length === 2 && values[0]! > 0 && values[0]! <= values[1]!) {
    return { kind, median: values[0]!, p99: values[1]! };
  }
  throw new ConfigError(name, `invalid latency '${raw}' (use fixed:<ms>, uniform:<min>:<max> or lognormal:<median>:<p99>)`);
}

function parseBackoff(name: string, raw: string): QueueProfile['backoff'] {
  const match = /^(fixed|exponential):(\d+)$/.exec(raw);
  if (!match) throw new ConfigError(name, `invalid backoff '${raw}' (use fixed:<ms> or exponential:<ms>)`);
  return { type: match[1] as 'fixed' | 'exponential', delayMs: Number(match[2]) };
}

function parseQueueProfile(env: Env, queue: QueueName): QueueProfile {
  const seed = QUEUE_PROFILES[queue];
  const p = `QUEUE_${queue.toUpperCase()}_`;
  const latencyRaw = env[`${p}LATENCY`];
  const backoffRaw = env[`${p}BACKOFF`];
  return {
    concurrency: read(env, `${p}CONCURRENCY`, PositiveInt, seed.concurrency),
    attempts: read(env, `${p}ATTEMPTS`, PositiveInt, seed.attempts),
    backoff: backoffRaw ? parseBackoff(`${p}BACKOFF`, backoffRaw) : { ...seed.backoff },
    latency: latencyRaw ? parseLatency(`${p}LATENCY`, latencyRaw) : { ...seed.latency },
    failureRate: read(env, `${p}FAILURE_RATE`, Rate, seed.failureRate),
    slo: {
      p95Ms: read(env, `${p}SLO_P95_MS`, Type.Number({ exclusiveMinimum: 0 }), seed.slo.p95Ms),
      p99Ms: read(env, `${p}SLO_P99_MS`, Type.Number({ exclusiveMinimum: 0 }), seed.slo.p99Ms),
      maxErrorRate: read(env, `${p}SLO_ERROR_RATE`, Rate, seed.slo.maxErrorRate),
    },
  };
}

const QUEUE_FIELDS = ['CONCURRENCY', 'ATTEMPTS', 'BACKOFF', 'LATENCY', 'FAILURE_RATE', 'SLO_P95_MS', 'SLO_P99_MS', 'SLO_ERROR_RATE'];

/** Every variable {@link parseConfig} reads; `.env.example` documents each one. */
export const CONFIG_VARIABLES: readonly string[] = [
  'QS_NAMESPACE',
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'REDIS_WAIT_REPLICAS',
  'REDIS_WAIT_TIMEOUT_MS',
  'QUESTDB_HTTP',
  'QUESTDB_PG',
  'QUESTDB_PG_USER',
  'QUESTDB_PG_PASSWORD',
  'QUESTDB_ILP_CONF',
  'PRODUCER_HOST',
  'PRODUCER_PORT',
  'PRODUCER_BODY_LIMIT',
  'IDEMPOTENCY_TTL_SEC',
  'COLLECTOR_HOST',
  'COLLECTOR_PORT',
  'COLLECTOR_BATCH_SIZE',
  'COLLECTOR_FLUSH_INTERVAL_MS',
  'COLLECTOR_LEASE_MS',
  'COLLECTOR_ATTACH',
  'COLLECTOR_NICE',
  'COLLECTOR_PG_POOL_SIZE',
  'COLLECTOR_PG_STATEMENT_TIMEOUT_MS',
  'COLLECTOR_PG_ACQUIRE_TIMEOUT_MS',
  'COLLECTOR_WS_MAX_CONNECTIONS',
  'COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE',
  'COLLECTOR_LIVE_MAX_FILTERS',
  'COLLECTOR_WS_MAX_BUFFERED_BYTES',
  'COLLECTOR_MAX_QUEUES_PER_REQUEST',
  'COLLECTOR_EXPORT_MAX_ROWS',
  'COLLECTOR_EXPORT_TIMEOUT_MS',
  'COLLECTOR_EXPORT_CONCURRENCY',
  'QS_API_TOKEN',
  'PRODUCER_API_TOKEN',
  'QS_INSECURE',
  'QS_ALLOWED_ORIGINS',
  'EVENTS_MAX_LEN',
  'WORKER_INSTANCES',
  'WORKER_QUEUES',
  'WORKER_LOCK_MS',
  'WORKER_STALLED_INTERVAL_MS',
  'WORKER_MAX_CONCURRENCY',
  'LOG_LEVEL',
  // Read by infra/scripts/start-questdb.sh only (which QuestDB jar to fetch, and its nice value); listed so they are not typos here.
  'QUESTDB_VERSION',
  'QUESTDB_NICE',
  ...QUEUE_NAMES.flatMap((q) => QUEUE_FIELDS.map((f) => `QUEUE_${q.toUpperCase()}_${f}`)),
];

/** Variables with our prefixes that we do not know are typos: fail instead of silently ignoring them. */
function rejectUnknown(env: Env): void {
  const known = new Set(CONFIG_VARIABLES);
  for (const name of Object.keys(env)) {
    if (/^(QS|QUEUE|PRODUCER|COLLECTOR|EVENTS|WORKER|QUESTDB)_/.test(name) && !known.has(name)) {
      throw new ConfigError(name, 'unknown configuration variable (see .env.example)');
    }
  }
}

/** `prefix:queue,prefix:*,…` → targets; the queue is after the last `:` (prefixes may hold `:` and `{…}`). */
function parseAttach(raw: string): AttachTarget[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((item) => {
    const text = item.trim();
    const i = text.lastIndexOf(':');
    const prefix = text.slice(0, i);
    const queue = text.slice(i + 1);
    if (i <= 0 || queue === '' || /\s/.test(text) || (queue !== '*' && queue.includes('*'))) {
      throw new ConfigError('COLLECTOR_ATTACH', `invalid item '${text}' (use prefix:queue or prefix:*, e.g. bull:emails or bull:*)`);
    }
    return { prefix, queue };
  });
}

/** `https://a.example,http://localhost:5173` → origins; each must be scheme://host[:port] without a path. */
function parseOrigins(raw: string): string[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((item) => {
    const text = item.trim();
    if (!/^https?:\/\/[^/\s:]+(:\d{1,5})?$/.test(text)) {
      throw new ConfigError('QS_ALLOWED_ORIGINS', `invalid origin '${text}' (use scheme://host[:port], e.g. https://dash.example.com)`);
    }
    return text;
  });
}

function splitHostPort(name: string, value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const port = Number(value.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(name, `expected host:port, got '${value}'`);
  return { host: value.slice(0, i), port };
}

/**
 * The one config parser (STYLE R5): environment → validated {@link Config}.
 * Throws {@link ConfigError} naming the first bad variable. Only `main.ts` files and CLIs call it.
 */
export function parseConfig(env: Env): Config {
  rejectUnknown(env);
  const http = read(env, 'QUESTDB_HTTP', HostPort, '127.0.0.1:9000');
  const pg = splitHostPort('QUESTDB_PG', read(env, 'QUESTDB_PG', HostPort, '127.0.0.1:8812'));
  const workerQueuesRaw = read(env, 'WORKER_QUEUES', NonEmpty, QUEUE_NAMES.join(','));
  const workerQueues = workerQueuesRaw.split(',').map((q) => q.trim());
  for (const q of workerQueues) {
    if (!(QUEUE_NAMES as readonly string[]).includes(q)) {
      throw new ConfigError('WORKER_QUEUES', `unknown queue '${q}' (known: ${QUEUE_NAMES.join(', ')})`);
    }
  }
  const queues = Object.fromEntries(QUEUE_NAMES.map((q) => [q, parseQueueProfile(env, q)])) as Record<QueueName, QueueProfile>;
  return {
    namespace: read(env, 'QS_NAMESPACE', Namespace, 'qs'),
    redisUrl: read(env, 'REDIS_URL', Type.String({ pattern: '^rediss?://' }), 'redis://127.0.0.1:6379'),
    redisClusterNodes: read(env, 'REDIS_CLUSTER_NODES', Type.String(), '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '')
      .map((n) => splitHostPort('REDIS_CLUSTER_NODES', n)),
    redisWaitReplicas: read(env, 'REDIS_WAIT_REPLICAS', Type.Integer({ minimum: 0, maximum: 16 }), 0),
    redisWaitTimeoutMs: read(env, 'REDIS_WAIT_TIMEOUT_MS', Ms(10, 60_000), 2000),
    questdb: {
      http,
      pg: {
        ...pg,
        user: read(env, 'QUESTDB_PG_USER', NonEmpty, 'admin'),
        password: read(env, 'QUESTDB_PG_PASSWORD', Type.String(), 'quest'),
        database: 'qdb',
      },
      ilpConf: read(env, 'QUESTDB_ILP_CONF', Type.String({ pattern: '^(http|https)::' }), `http::addr=${http};`),
    },
    producer: {
      host: read(env, 'PRODUCER_HOST', NonEmpty, '127.0.0.1'),
      port: read(env, 'PRODUCER_PORT', Port, 3000),
      bodyLimit: read(env, 'PRODUCER_BODY_LIMIT', PositiveInt, 64 * 1024),
      idempotencyTtlSec: read(env, 'IDEMPOTENCY_TTL_SEC', PositiveInt, 24 * 3600),
    },
    collector: {
      host: read(env, 'COLLECTOR_HOST', NonEmpty, '127.0.0.1'),
      port: read(env, 'COLLECTOR_PORT', Port, 3001),
      batchSize: read(env, 'COLLECTOR_BATCH_SIZE', PositiveInt, 20_000),
      flushIntervalMs: read(env, 'COLLECTOR_FLUSH_INTERVAL_MS', Type.Integer({ minimum: 10, maximum: 60_000 }), 1000),
      leaseMs: read(env, 'COLLECTOR_LEASE_MS', Type.Integer({ minimum: 500, maximum: 600_000 }), 5000),
      attach: parseAttach(read(env, 'COLLECTOR_ATTACH', Type.String(), '')),
      nice: read(env, 'COLLECTOR_NICE', Type.Integer({ minimum: 0, maximum: 19 }), 10),
      limits: {
        pgPoolSize: read(env, 'COLLECTOR_PG_POOL_SIZE', Type.Integer({ minimum: 2, maximum: 64 }), 4),
        pgStatementTimeoutMs: read(env, 'COLLECTOR_PG_STATEMENT_TIMEOUT_MS', Ms(100, 600_000), 10_000),
        pgAcquireTimeoutMs: read(env, 'COLLECTOR_PG_ACQUIRE_TIMEOUT_MS', Ms(10, 60_000), 2000),
        wsMaxConnections: read(env, 'COLLECTOR_WS_MAX_CONNECTIONS', PositiveInt, 100),
        wsMaxSubscribesPerMinute: read(env, 'COLLECTOR_WS_MAX_SUBSCRIBES_PER_MINUTE', PositiveInt, 30),
        liveMaxFilters: read(env, 'COLLECTOR_LIVE_MAX_FILTERS', PositiveInt, 16),
        wsMaxBufferedBytes: read(env, 'COLLECTOR_WS_MAX_BUFFERED_BYTES', Type.Integer({ minimum: 64 * 1024 }), 1 << 20),
        maxQueuesPerRequest: read(env, 'COLLECTOR_MAX_QUEUES_PER_REQUEST', Type.Integer({ minimum: 1, maximum: 1000 }), 32),
        exportMaxRows: read(env, 'COLLECTOR_EXPORT_MAX_ROWS', PositiveInt, 1_000_000),
        exportTimeoutMs: read(env, 'COLLECTOR_EXPORT_TIMEOUT_MS', Ms(1000, 3_600_000), 120_000),
        exportConcurrency: read(env, 'COLLECTOR_EXPORT_CONCURRENCY', Type.Integer({ minimum: 1, maximum: 32 }), 2),
      },
    },
    auth: {
      collectorToken: read<string | null>(env, 'QS_API_TOKEN', Token, null),
      producerToken: read<string | null>(env, 'PRODUCER_API_TOKEN', Token, null),
      insecure: read<'0' | '1'>(env, 'QS_INSECURE', Flag, '0') === '1',
      allowedOrigins: parseOrigins(read(env, 'QS_ALLOWED_ORIGINS', Type.String(), '')),
    },
    events: {
      maxLen: read(env, 'EVENTS_MAX_LEN', Type.Integer({ minimum: 100 }), 500_000),
    },
    worker: {
      instances: read(env, 'WORKER_INSTANCES', PositiveInt, 5),
      queues: workerQueues as QueueName[],
      lockDurationMs: read(env, 'WORKER_LOCK_MS', Type.Integer({ minimum: 1000 }), 30_000),
      stalledIntervalMs: read(env, 'WORKER_STALLED_INTERVAL_MS', Type.Integer({ minimum: 500 }), 30_000),
      maxConcurrency: read(env, 'WORKER_MAX_CONCURRENCY', Type.Integer({ minimum: 1, maximum: 10_000 }), 200),
    },
    queues,
    logLevel: read(env, 'LOG_LEVEL', LogLevel, 'info'),
  };
}
