import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { openEmbedded, openPostgres, type Database, type OpenOptions } from '../../src/db/database.ts';

export type Engine = 'pglite' | 'postgres';

export const engine: Engine = process.env.TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is needed for the postgres engine');
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates an empty PostgreSQL database on the test server; returns its name and URL. */
export async function createEmptyPostgresDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `gg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestDatabase extends Database {
  /** Closes the database and removes it. */
  dispose(): Promise<void>;
  /** The PostgreSQL URL (postgres engine only). */
  url?: string;
}

/** A fresh, migrated database on the engine this test project runs on. */
export async function createTestDatabase(options: OpenOptions = {}): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const db = await openEmbedded(undefined, options);
    await db.migrate();
    return { ...db, dispose: () => db.close() };
  }
  const empty = await createEmptyPostgresDatabase();
  const db = openPostgres(empty.url, { ...options, poolSize: 20 });
  await db.migrate();
  return {
    ...db,
    url: empty.url,
    async dispose() {
      await db.close();
      await empty.drop();
    },
  };
}
