import { createHash } from 'node:crypto';

import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

import { DEFAULTS } from '../config.ts';
import { PrismaClient } from '../generated/prisma/client.ts';
import { openEmbeddedEngine } from './embedded.ts';
import { listenEmbedded, listenPostgres, type Listener, type NotificationHandler } from './listener.ts';
import { migrate, pendingMigrations, type Migration, type MigrationConnection } from './migrator.ts';
import { countStatements, type StatementListener } from './statementCounter.ts';
import { bothListeners, statementRecorder } from './statementLog.ts';

export { EMBEDDED_SETTINGS } from './embedded.ts';

export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** Applies pending migrations (by default those in prisma/migrations); returns the names applied. */
  migrate(migrations?: Migration[]): Promise<string[]>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  /** Migrations of this release (or those given) not yet applied; throws when the database cannot answer. */
  pendingMigrations(migrations?: Migration[]): Promise<string[]>;
  /** Hears NOTIFY on `channel` (a dedicated connection on PostgreSQL that reconnects by itself). */
  listen(channel: string, onPayload: NotificationHandler, onState?: (state: 'lost' | 'listening') => void): Listener;
  /** Connections: open, busy with a query, and requests waiting for one (metrics). */
  poolStats(): PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  size: number;
  inUse: number;
  waiting: number;
}

export interface OpenOptions {
  /** Called with every SQL statement Prisma sends (tests count them). */
  onStatement?: StatementListener;
  /** Append every distinct statement to a file in this directory (SQL_STATEMENT_LOG; the test suite's scope check). */
  statementLogDir?: string;
}

/**
 * Prisma's transactions (the analysis statement runs in one, for SET LOCAL)
 * default to 5 s and expire with an uncoded error; a statement may run up to
 * the statement timeout, which is coded. So a transaction may last that long,
 * and waits for a pooled connection as long as opening one may take.
 */
function clientFor(
  adapter: SqlDriverAdapterFactory,
  options: OpenOptions,
  limits: { statementTimeoutMs: number; connectTimeoutMs: number },
): PrismaClient {
  const listener = bothListeners(
    options.onStatement,
    options.statementLogDir ? statementRecorder(options.statementLogDir) : undefined,
  );
  const wrapped = listener ? countStatements(adapter, listener) : adapter;
  return new PrismaClient({
    adapter: wrapped,
    transactionOptions: {
      timeout: limits.statementTimeoutMs + CLIENT_TIMEOUT_SLACK_MS,
      maxWait: limits.connectTimeoutMs,
    },
  });
}

export interface PostgresOptions extends OpenOptions {
  poolSize?: number;
  /** How long opening a connection may take before the query fails. */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL cancels a statement running longer (statement_timeout); the
   * client gives up on an answer a little later still (a connection that went
   * silent, e.g. a network partition, would otherwise hold the request).
   */
  statementTimeoutMs?: number;
}

/** Slack between the server's statement_timeout and the client's own wait for an answer. */
const CLIENT_TIMEOUT_SLACK_MS = 5_000;

/**
 * The ingest statement (services/ingest.ts, one fixed text) is prepared once per
 * connection: for a single event PostgreSQL spends as long planning it as
 * running it. Every other statement stays unnamed ('' to pg), so the set of
 * prepared statements is bounded.
 */
function preparedIngestStatement(query: { sql: string }): string {
  return query.sql.includes('INSERT INTO "Event"')
    ? `gg_${createHash('sha1').update(query.sql).digest('hex').slice(0, 20)}`
    : '';
}

export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULTS.databasePoolSize,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULTS.databaseConnectTimeoutMs,
    statement_timeout: options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    query_timeout: (options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs) + CLIENT_TIMEOUT_SLACK_MS,
    keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the next
  // query gets a fresh connection or a clear error.
  pool.on('error', () => {});
  const prisma = clientFor(new PrismaPg(pool, { statementNameGenerator: preparedIngestStatement }), options, {
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.databaseConnectTimeoutMs,
  });
  return {
    kind: 'postgres',
    prisma,
    async migrate(migrations) {
      // A dedicated session: the advisory lock and each transaction stay on it.
      const client = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULTS.databaseConnectTimeoutMs,
      });
      client.on('error', () => {});
      await client.connect();
      try {
        return await migrate(pgConnection(client), migrations);
      } finally {
        await client.end();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    pendingMigrations: (migrations) =>
      pendingMigrations(
        {
          query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
          exec: async (sql: string) => void (await pool.query(sql)),
        },
        migrations,
      ),
    listen: (channel, onPayload, onState) =>
      listenPostgres(url, channel, onPayload, {
        connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.databaseConnectTimeoutMs,
        onState,
      }),
    poolStats: () => ({
      size: pool.totalCount,
      inUse: pool.totalCount - pool.idleCount,
      waiting: pool.waitingCount,
    }),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

function pgConnection(client: pg.Client): MigrationConnection {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await client.query(sql, params)).rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

function pgliteConnection(db: PGlite): MigrationConnection {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await db.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
  };
}

/**
 * The embedded database. With a dataDir it persists there and takes a lock file
 * so a second process gets a clear error instead of corrupting the files;
 * without one it lives in memory (tests).
 */
export async function openEmbedded(dataDir: string | undefined, options: OpenOptions = {}): Promise<Database> {
  const engine = await openEmbeddedEngine(dataDir);
  const db = engine.db;
  const prisma = clientFor(new PrismaPGlite(db), options, {
    statementTimeoutMs: DEFAULTS.statementTimeoutMs,
    connectTimeoutMs: DEFAULTS.databaseConnectTimeoutMs,
  });
  return {
    kind: 'pglite',
    prisma,
    migrate: (migrations) => migrate(pgliteConnection(db), migrations),
    async ping() {
      await db.query('SELECT 1');
    },
    pendingMigrations: (migrations) => pendingMigrations(pgliteConnection(db), migrations),
    listen: (channel, onPayload) => listenEmbedded(db, channel, onPayload),
    // One in-process connection; queries queue inside PGlite, which does not say how many wait.
    poolStats: () => ({ size: 1, inUse: 0, waiting: 0 }),
    async close() {
      await prisma.$disconnect();
      await engine.close();
    },
  };
}

export interface DatabaseConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  databaseConnectTimeoutMs?: number;
  statementLogDir?: string;
  statementTimeoutMs?: number;
}

export function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  options = { statementLogDir: config.statementLogDir, ...options };
  return config.databaseUrl
    ? Promise.resolve(
        openPostgres(config.databaseUrl, {
          ...options,
          poolSize: config.databasePoolSize,
          connectTimeoutMs: config.databaseConnectTimeoutMs,
          statementTimeoutMs: config.statementTimeoutMs,
        }),
      )
    : openEmbedded(config.dataDir, options);
}
