import { PGlite } from '@electric-sql/pglite';

import { secureDataDir, tightenDataDir } from './dataDirPermissions.ts';
import { acquireDataDirLock } from './dataDirLock.ts';

// The embedded PostgreSQL (PGlite) itself, without a Prisma client: the server's
// Database (database.ts) and the short commands' plain SQL session (sqlSession.ts)
// both open it here.

/**
 * PostgreSQL settings for the embedded database, on top of PGlite's own start
 * parameters (which already run without fsync: a killed process loses nothing
 * the OS has, an OS crash is not covered). Measured with bench/footprint.ts:
 * - WAL: PGlite keeps PostgreSQL's max_wal_size of 1 GB, so after 100,000 demo
 *   events two thirds of the data directory was WAL waiting for a checkpoint.
 *   A small WAL ceiling checkpoints often; full-page images, which only guard
 *   against torn pages after an OS crash (not covered without fsync anyway),
 *   would make those checkpoints costly, so they are off. One process and no
 *   replicas: minimal WAL.
 * - Memory: shared buffers live in the WebAssembly heap, which never shrinks;
 *   128 MB of them plus the 64 MB index-build memory was most of the server's
 *   RSS. Reads of pages not in them come from the OS page cache, which is not
 *   the process's RSS.
 */
export const EMBEDDED_SETTINGS: Record<string, string> = {
  max_wal_size: '48MB',
  min_wal_size: '32MB',
  full_page_writes: 'off',
  wal_level: 'minimal',
  max_wal_senders: '0',
  shared_buffers: '32MB',
  maintenance_work_mem: '16MB',
};

export function embeddedStartParams(): string[] {
  return [
    ...PGlite.defaultStartParams,
    ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
}

export interface EmbeddedEngine {
  db: PGlite;
  /** Closes the database and releases the data directory. */
  close(): Promise<void>;
}

/**
 * Starts the embedded database. With a dataDir it persists there and takes a
 * lock file so a second process gets a clear error instead of corrupting the
 * files; without one it lives in memory (tests).
 */
export async function openEmbeddedEngine(dataDir: string | undefined): Promise<EmbeddedEngine> {
  if (dataDir) secureDataDir(dataDir);
  const lock = dataDir ? acquireDataDirLock(dataDir) : undefined;
  let db: PGlite;
  try {
    const options = { startParams: embeddedStartParams() };
    db = dataDir ? await PGlite.create(`${dataDir}/pglite`, options) : await PGlite.create(options);
    if (dataDir) tightenDataDir(dataDir);
  } catch (error) {
    lock?.release();
    throw error;
  }
  return {
    db,
    async close() {
      await db.close();
      if (dataDir) tightenDataDir(dataDir);
      lock?.release();
    },
  };
}
