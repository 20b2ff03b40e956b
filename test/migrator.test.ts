import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { openEmbedded, openPostgres, type Database } from '../src/db/database.ts';
import { MIGRATIONS_DIR, MigrationError, readMigrations } from '../src/db/migrator.ts';
import { createEmptyPostgresDatabase, engine } from './helpers/db.ts';

/** An empty database on this project's engine, not yet migrated. */
async function emptyDatabase(): Promise<{ open(): Database; dispose(): Promise<void>; opened: Database[] }> {
  const opened: Database[] = [];
  if (engine === 'pglite') {
    const db = await openEmbedded(undefined);
    opened.push(db);
    return { open: () => db, opened, dispose: () => db.close() };
  }
  const empty = await createEmptyPostgresDatabase();
  return {
    opened,
    open() {
      const db = openPostgres(empty.url, { poolSize: 2 });
      opened.push(db);
      return db;
    },
    async dispose() {
      for (const db of opened) await db.close();
      await empty.drop();
    },
  };
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  applied_steps_count: number;
  rolled_back_at: Date | null;
}

describe('migrator', () => {
  it('applies every migration once and records it as prisma migrate deploy does', async () => {
    const empty = await emptyDatabase();
    try {
      const db = empty.open();
      const migrations = await readMigrations();
      expect(await db.migrate()).toEqual(migrations.map((m) => m.name));
      expect(await db.migrate()).toEqual([]);

      const rows = await db.prisma.$queryRawUnsafe<MigrationRow[]>(
        'SELECT id, checksum, migration_name, finished_at, applied_steps_count, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
      for (const row of rows) {
        const sql = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
        expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
        expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.rolled_back_at).toBeNull();
        expect(row.applied_steps_count).toBe(1);
      }
    } finally {
      await empty.dispose();
    }
  });

  it('refuses to start when an applied migration was edited, naming it', async () => {
    const empty = await emptyDatabase();
    try {
      const db = empty.open();
      await db.migrate();
      const [first] = await readMigrations();
      const edited = [{ ...first!, checksum: createHash('sha256').update(`${first!.sql}\n-- edited`).digest('hex') }];
      const failure = await db.migrate(edited).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(MigrationError);
      expect((failure as Error).message).toContain(first!.name);
      expect((failure as Error).message).toContain('changed after it was applied');
    } finally {
      await empty.dispose();
    }
  });

  it('rolls a failing migration back whole and reports it', async () => {
    const empty = await emptyDatabase();
    try {
      const db = empty.open();
      await db.migrate();
      const all = await readMigrations();
      const broken = {
        name: '29991231000000_broken',
        sql: 'CREATE TABLE "half_done" (x int);\nSELECT * FROM "no_such_table";',
        checksum: 'x',
      };
      await expect(db.migrate([...all, broken])).rejects.toThrow(/29991231000000_broken failed/);
      const tables = await db.prisma.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'half_done'`,
      );
      expect(tables[0]!.n).toBe(0);
    } finally {
      await empty.dispose();
    }
  });

  // Only a server can have two processes racing; PGlite is single-process by design.
  if (engine === 'postgres')
    it('servers starting together apply each migration once', async () => {
      const empty = await emptyDatabase();
      try {
        const dbs = Array.from({ length: 4 }, () => empty.open());
        const results = await Promise.all(dbs.map((db) => db.migrate()));
        const names = (await readMigrations()).map((m) => m.name);
        expect(results.flat().sort()).toEqual(names.sort());
        const rows = await dbs[0]!.prisma.$queryRawUnsafe<{ migration_name: string; n: number }[]>(
          'SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name',
        );
        expect(rows.every((r) => r.n === 1)).toBe(true);
        expect(rows).toHaveLength(names.length);
      } finally {
        await empty.dispose();
      }
    });
});
