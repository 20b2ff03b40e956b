import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The one connection the migrator works on (a pg client or the PGlite instance). */
export interface MigrationConnection {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {}

// Our own migrator rather than node-pg-migrate, postgres-migrations or umzug:
// `prisma migrate` cannot run here (no native schema engine), the history must
// be Prisma's own `_prisma_migrations` table so Prisma's tools read it, and it
// must run on PGlite as well as PostgreSQL. None of those libraries writes that
// table, so adopting one would add an adapter without removing code.
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

// The lock key `prisma migrate deploy` uses, so our migrator and Prisma's never run at once.
const ADVISORY_LOCK_KEY = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Names of `migrations` (default: this release's) not applied, or applied and not finished, in `conn`'s database. */
export async function pendingMigrations(conn: MigrationConnection, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  const [table] = await conn.query<{ present: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
  );
  if (!table?.present) return all.map((m) => m.name);
  const rows = await conn.query<{ migration_name: string }>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const applied = new Set(rows.map((r) => r.migration_name));
  return all.map((m) => m.name).filter((name) => !applied.has(name));
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies pending migrations, each in its own transaction, recording them in
 * `_prisma_migrations` as `prisma migrate deploy` does. Holds an advisory lock so
 * servers starting together apply each migration once. Refuses to go on when an
 * applied migration's file has changed or a previous attempt failed half-way.
 * Returns the names applied.
 */
export async function migrate(conn: MigrationConnection, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  await conn.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
  try {
    await conn.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await conn.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const applied = new Map(rows.map((r) => [r.migration_name, r]));
    for (const row of rows) {
      if (row.finished_at === null) {
        throw new MigrationError(
          `Migration ${row.migration_name} failed or was interrupted on this database; fix the database by hand and mark it rolled back before starting again.`,
        );
      }
    }
    for (const migration of all) {
      const row = applied.get(migration.name);
      if (row && row.checksum !== migration.checksum) {
        throw new MigrationError(
          `Migration ${migration.name} was changed after it was applied (checksum ${row.checksum} in the database, ${migration.checksum} on disk). Restore prisma/migrations/${migration.name}/migration.sql and add a new migration instead.`,
        );
      }
    }
    const known = new Set(all.map((m) => m.name));
    const unknown = rows.filter((r) => !known.has(r.migration_name)).map((r) => r.migration_name);
    if (unknown.length > 0) {
      throw new MigrationError(
        `The database has migrations this version does not know (${unknown.join(', ')}); it was migrated by a newer groupgraph.`,
      );
    }

    const done: string[] = [];
    for (const migration of all) {
      if (applied.has(migration.name)) continue;
      await conn.exec('BEGIN');
      try {
        await conn.exec(migration.sql);
        await conn.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await conn.exec('COMMIT');
      } catch (error) {
        await conn.exec('ROLLBACK');
        throw new MigrationError(`Migration ${migration.name} failed: ${(error as Error).message}`);
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await conn.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
  }
}
