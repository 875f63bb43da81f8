import { DependencyUnavailableError } from '@queuescope/service-kit';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * The collector's pg pool on QuestDB's PGWire, as kysely's `PostgresDialect` takes it, with the
 * three things pg alone does not give:
 *
 * 1. **A statement timeout that frees the connection.** QuestDB 9.3 ignores `statement_timeout`
 *    (startup parameter or `SET`) and does not act on a PG cancel request while the query runs
 *    (measured: the query ran to QuestDB's own `query.timeout`, 60 s). With one PG worker thread
 *    (infra/questdb/server.conf) that query also stalls every other PG connection. What QuestDB does
 *    notice is a closed socket: its circuit breaker stops the query within milliseconds. So a
 *    statement still running after `statementTimeoutMs` is failed here and its connection is
 *    destroyed, not returned to the pool (pg's own `query_timeout` would return it still busy).
 * 2. **Failures named for clients.** A connection that cannot be made, is lost, or times out
 *    becomes a `DependencyUnavailableError('questdb', …)` (503 with a reason in fixed words; the
 *    driver's text, which holds the address and QuestDB's `fd=…`, stays in the log). An error in
 *    the SQL itself stays what it is: a bug, answered 500.
 * 3. **A gate.** While `closedReason()` returns a reason (the schema is not migrated yet) no
 *    connection is handed out: the read routes answer 503 instead of "table does not exist".
 *
 * Cursor reads (exports) get the same timeout per read, so a stuck chunk frees its connection too.
 */
export interface QuestdbPoolOptions {
  /** Longest one statement (or one cursor read) may run before its connection is destroyed, ms. */
  statementTimeoutMs: number;
  /** Why no connection may be handed out now, or undefined when they may. */
  closedReason?: () => string | undefined;
}

/** A statement ran past the pool's statement timeout; its connection was destroyed. */
export class StatementTimeoutError extends Error {
  override readonly name = 'StatementTimeoutError';
}

/** Driver errors that mean "QuestDB cannot answer now", not "this SQL is wrong". */
const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|timeout, query aborted|cancelled by user|table busy|server is shutting down/i;

/** `err`'s code and message, as the reason a DependencyUnavailableError keeps for the log. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code} ` : ''}${err.message}`;
}

/** `err` as the error a route should throw: DependencyUnavailableError for a dependency failure, itself otherwise. */
export function questdbError(err: unknown): unknown {
  if (err instanceof DependencyUnavailableError) return err;
  if (err instanceof StatementTimeoutError) return new DependencyUnavailableError('questdb', 'query timed out', { cause: err });
  return err instanceof Error && UNAVAILABLE.test(describe(err))
    ? new DependencyUnavailableError('questdb', describe(err), { cause: err })
    : err;
}

/** A pooled pg client, seen through the statement timeout and the error mapping. */
class TimedClient implements PostgresPoolClient {
  /** Set when a statement timed out: the connection is destroyed on release. */
  private broken = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly timeoutMs: number,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(what: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof what !== 'string') {
      const cursor = this.client.query(what as unknown as pg.Submittable) as unknown as PostgresCursor<R>;
      return {
        read: (rows) => this.timed(cursor.read(rows)),
        // A destroyed connection has no cursor left to close (and would never answer the Close).
        close: () => (this.broken ? Promise.resolve() : cursor.close().catch((err: unknown) => Promise.reject(questdbError(err)))),
      };
    }
    return this.timed(this.client.query(what, parameters as unknown[]) as unknown as Promise<PostgresQueryResult<R>>);
  }

  release(destroy?: boolean): void {
    this.client.release(destroy || this.broken);
  }

  private timed<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.broken = true;
        // Closing the socket is what stops the query in QuestDB (see the module comment); the
        // pool drops the client when it is released with `broken` set.
        (this.client as unknown as { connection?: { stream?: { destroy: () => void } } }).connection?.stream?.destroy();
        reject(questdbError(new StatementTimeoutError(`statement still running after ${this.timeoutMs} ms; connection closed`)));
      }, this.timeoutMs);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(questdbError(err));
        },
      );
    });
  }
}

/** `pool` as kysely's PostgresPool: gated, every statement timed, failures named (see the module comment). */
export function questdbPool(pool: pg.Pool, opts: QuestdbPoolOptions): PostgresPool {
  // One wrapper per pg client: kysely keeps its connection object per client it is handed.
  const wrappers = new WeakMap<pg.PoolClient, TimedClient>();
  return {
    async connect() {
      const closed = opts.closedReason?.();
      if (closed !== undefined) throw new DependencyUnavailableError('questdb', closed);
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        // Whatever stops a connection (refused, timed out, pool busy, credentials) is QuestDB being unavailable.
        throw err instanceof DependencyUnavailableError ? err : new DependencyUnavailableError('questdb', describe(err), { cause: err });
      }
      let wrapper = wrappers.get(client);
      if (!wrapper) wrappers.set(client, (wrapper = new TimedClient(client, opts.statementTimeoutMs)));
      return wrapper;
    },
    // The pg pool is ended by its owner (plugins/questdb.ts), once, after every kysely over it.
    end: async () => undefined,
  };
}
