import type { Config } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { questdbPool } from '../db/pg-pool.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>;
    /** Whether the schema is in place; capture and samplers start writing once it is. */
    questdb: QuestdbState;
  }
}

export interface QuestdbState {
  /** True once the schema is migrated (then it stays true: a later outage is the pool's to report). */
  readonly migrated: boolean;
  /** Resolves once migrated; never rejects (the migration retries until the collector closes). */
  readonly whenMigrated: Promise<void>;
}

/** PGWire type OIDs QuestDB sends (io.questdb.cutlass.pgwire.PGOids). */
const OID_INT8 = 20;
const OID_TIMESTAMP = 1114;

/** Wait before the next migration attempt, ms, by attempt: QuestDB may take a while to start. */
const MIGRATE_RETRY_MS = [250, 500, 1000, 2000, 5000];
/** DDL may run longer than a read route's statement (a dedup change rewrites nothing, but a busy table waits), ms. */
const MIGRATE_STATEMENT_TIMEOUT_MS = 60_000;

/**
 * QuestDB sends TIMESTAMP WITHOUT TIME ZONE in UTC and LONG (`count()`) as int8, which pg would
 * read in local time and as a string; parse both here, per pool, not globally.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID_INT8) return (v: string) => Number(v);
    if (oid === OID_TIMESTAMP) return (v: string) => new Date(`${v.replace(' ', 'T')}Z`);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/**
 * Decorates `db` (kysely over a pg pool on QuestDB's PGWire: db/pg-pool.ts) and `questdb` (the
 * schema's state), and migrates the schema (db/migrate.ts).
 *
 * The collector starts without QuestDB: the first migration attempt runs at registration (so with
 * QuestDB up, the schema is in place when the app is ready, as tests expect); when it fails, the
 * plugin logs it and keeps retrying in the background with backoff. Until then `db` hands out no
 * connection (routes answer 503 naming questdb), `/readyz` says why, and capture and samplers wait
 * for `whenMigrated` (events stay in the streams).
 *
 * Pool limits (`config.collector.limits`): `pgPoolSize` connections; a request waits at most
 * `pgAcquireTimeoutMs` for one (pg's `connectionTimeoutMillis` covers both the wait for a pooled
 * client and a new connection's handshake); a statement runs at most `pgStatementTimeoutMs`.
 */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const { pg: conn } = opts.config.questdb;
    const { pgPoolSize, pgAcquireTimeoutMs, pgStatementTimeoutMs } = opts.config.collector.limits;
    const pool = new pg.Pool({ ...conn, max: pgPoolSize, types, connectionTimeoutMillis: pgAcquireTimeoutMs, idleTimeoutMillis: 30_000 });
    // An idle client whose QuestDB went away: pg drops it from the pool; the next request opens a new one.
    pool.on('error', (err) => app.log.warn({ err: err.message }, 'questdb pool error'));

    let migrated = false;
    /** Why `db` hands out no connection yet (shown in 503s and readyz), undefined once migrated. */
    let notReady: string | undefined = 'schema not migrated yet';
    const dialect = (statementTimeoutMs: number, gated: boolean) =>
      new PostgresDialect({
        pool: questdbPool(pool, { statementTimeoutMs, ...(gated ? { closedReason: () => notReady } : {}) }),
        // pg-cursor lets exports stream a run's events instead of buffering them (kysely `.stream()`).
        cursor: Cursor,
      });
    const db = new Kysely<Database>({ dialect: dialect(pgStatementTimeoutMs, true) });
    const ddl = new Kysely<Database>({ dialect: dialect(Math.max(pgStatementTimeoutMs, MIGRATE_STATEMENT_TIMEOUT_MS), false) });

    let closing = false;
    let wake: (() => void) | undefined;
    let resolveMigrated: () => void = () => undefined;
    const whenMigrated = new Promise<void>((resolve) => (resolveMigrated = resolve));
    const attempt = async (): Promise<boolean> => {
      try {
        await migrate(ddl);
        migrated = true;
        notReady = undefined;
        resolveMigrated();
        return true;
      } catch (err) {
        app.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'questdb schema migration failed; retrying');
        return false;
      }
    };
    /** Attempts after the first, with backoff, until one succeeds or the collector closes. */
    const retry = async (): Promise<void> => {
      for (let n = 0; !closing; n++) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, MIGRATE_RETRY_MS[Math.min(n, MIGRATE_RETRY_MS.length - 1)]);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (!closing && (await attempt())) {
          app.log.info({ attempts: n + 2 }, 'questdb schema migrated');
          return;
        }
      }
    };
    const background = (await attempt()) ? Promise.resolve() : retry();

    app.decorate('db', db);
    app.decorate('questdb', {
      get migrated() {
        return migrated;
      },
      whenMigrated,
    } satisfies QuestdbState);
    app.addHook('onClose', async () => {
      closing = true;
      wake?.();
      await background;
      await db.destroy().catch(() => undefined);
      await ddl.destroy().catch(() => undefined);
      await pool.end().catch(() => undefined);
    });
  },
  { name: 'questdb' },
);
