import { DEFAULTS } from '../config.ts';
import type { DatabaseConfig } from './database.ts';
import { migrate, pendingMigrations, type MigrationConnection } from './migrator.ts';
import { statementRecorder } from './statementLog.ts';

/**
 * One plain SQL session, without a Prisma client, for short commands (key and
 * origin administration): loading and constructing the Prisma client, and its
 * compiling the first query, took most of such a command's time. On PostgreSQL
 * it is one `pg` connection; on the embedded database, PGlite itself.
 */
export interface SqlSession extends MigrationConnection {
  kind: 'postgres' | 'pglite';
  /** Applies pending migrations, after one cheap check whether any is pending. */
  migrateIfNeeded(): Promise<void>;
  close(): Promise<void>;
}

export async function openSqlSession(config: DatabaseConfig): Promise<SqlSession> {
  // Record statements as the Prisma client does (SQL_STATEMENT_LOG).
  const record = config.statementLogDir ? statementRecorder(config.statementLogDir) : () => {};
  let connection: MigrationConnection & { kind: SqlSession['kind']; close(): Promise<void> };
  if (config.databaseUrl) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      connectionString: config.databaseUrl,
      connectionTimeoutMillis: config.databaseConnectTimeoutMs ?? DEFAULTS.databaseConnectTimeoutMs,
      statement_timeout: config.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    });
    client.on('error', () => {});
    await client.connect();
    connection = {
      kind: 'postgres',
      query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
      exec: async (sql: string) => void (await client.query(sql)),
      close: () => client.end(),
    };
  } else {
    const { openEmbeddedEngine } = await import('./embedded.ts');
    const engine = await openEmbeddedEngine(config.dataDir);
    connection = {
      kind: 'pglite',
      query: async <T>(sql: string, params?: unknown[]) => (await engine.db.query<T>(sql, params)).rows,
      exec: async (sql: string) => void (await engine.db.exec(sql)),
      close: () => engine.close(),
    };
  }
  return {
    kind: connection.kind,
    query: (sql, params) => {
      record(sql);
      return connection.query(sql, params);
    },
    exec: (sql) => {
      record(sql);
      return connection.exec(sql);
    },
    async migrateIfNeeded() {
      // The full migration (advisory lock, checksums of what was applied) runs
      // only when something is pending; a server's start-up does the full check.
      if ((await pendingMigrations(connection)).length > 0) await migrate(connection);
    },
    close: () => connection.close(),
  };
}
