import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';

import { EMBEDDED_SETTINGS, openEmbedded } from '../src/db/database.ts';
import { engine } from './helpers/db.ts';

// The embedded database's footprint settings (sizes measured by bench/footprint.ts):
// they are in force, and a data directory made with PGlite's defaults (before
// them) opens with them, keeps its data and gives its surplus WAL back.

function walBytes(dataDir: string): number {
  const dir = path.join(dataDir, 'pglite', 'pg_wal');
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + lstatSync(path.join(dir, e.name)).size, 0);
}

describe.runIf(engine === 'pglite')('embedded database settings', () => {
  it('bounded WAL and small buffers are in force; an older data directory keeps its data and sheds WAL', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'groupgraph-settings-'));
    try {
      // A data directory as PGlite's defaults leave it: a large table written
      // and rewritten, with WAL kept for a 1 GB max_wal_size.
      const old = await PGlite.create(path.join(dataDir, 'pglite'));
      await old.exec(`CREATE TABLE filler (id int PRIMARY KEY, text text);
        INSERT INTO filler SELECT i, repeat('x', 200) FROM generate_series(1, 200000) i;
        UPDATE filler SET text = repeat('y', 200);`);
      await old.close();
      const before = walBytes(dataDir);
      expect(before).toBeGreaterThan(96 * 1024 * 1024);

      const db = await openEmbedded(dataDir);
      try {
        for (const [name, value] of Object.entries(EMBEDDED_SETTINGS)) {
          const [row] = await db.prisma.$queryRawUnsafe<Record<string, string>[]>(`SHOW ${name}`);
          expect(row![name], name).toBe(value);
        }
        expect(EMBEDDED_SETTINGS.shared_buffers).toBe('32MB');
        const [count] = await db.prisma.$queryRawUnsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM filler WHERE text = repeat('y', 200)`,
        );
        expect(count!.n).toBe(200_000);
        await db.prisma.$executeRawUnsafe('CHECKPOINT');
        await db.prisma.$executeRawUnsafe(`UPDATE filler SET text = repeat('z', 200)`);
        await db.prisma.$executeRawUnsafe('CHECKPOINT');
      } finally {
        await db.close();
      }
      // What is left: at most max_wal_size (48 MB) of recycled segments, the one
      // in use and the one before it (16 MB each).
      expect(walBytes(dataDir)).toBeLessThanOrEqual(80 * 1024 * 1024);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
