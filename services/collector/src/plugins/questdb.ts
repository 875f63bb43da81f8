import type { Config } from '@queuescope/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>;
  }
}

/** PGWire type OIDs QuestDB sends (io.questdb.cutlass.pgwire.PGOids). */
const OID_INT8 = 20;
const OID_TIMESTAMP = 1114;

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

/** Decorates `db` (kysely over a pg pool on QuestDB's PGWire) and migrates the schema at start (db/migrate.ts). */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const { pg: conn } = opts.config.questdb;
    const pool = new pg.Pool({ ...conn, max: 4, types, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
    pool.on('error', (err) => app.log.warn({ err: err.message }, 'questdb pool error'));
    // pg-cursor lets exports stream a run's events instead of buffering them (kysely `.stream()`).
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
    app.decorate('db', db);
    app.addHook('onClose', async () => {
      await db.destroy().catch(() => undefined);
    });
    await migrate(db);
  },
  { name: 'questdb' },
);
