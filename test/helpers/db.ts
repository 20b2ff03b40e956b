import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { openEmbedded, openPostgres, type Database, type OpenOptions } from '../../src/db/database.ts';

// Scratch databases for tests and benchmarks: one place creates and drops them.
// No vitest here: bench/ imports this module.

export type Engine = 'pglite' | 'postgres';

export const engine: Engine = process.env.TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';

/** The PostgreSQL server the tests make their databases on (TEST_DATABASE_URL). */
export function testServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is needed for the postgres engine');
  return url;
}

/** The PostgreSQL server of the benchmarks: BENCH_DATABASE_URL, else DATABASE_URL, else the local default. */
export function benchServerUrl(): string {
  return process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
}

/** The URL of database `name` on the server `serverUrl` points at. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Removes the database, closing whatever is still connected to it. */
  drop(): Promise<void>;
}

export interface ScratchDatabaseOptions {
  /** The start of the name; a random suffix follows. */
  prefix?: string;
  /** Copy this database (which nobody may be connected to) instead of starting empty. */
  template?: string;
}

/** Creates a database with a random name on the server `serverUrl` points at (connecting there as an admin). */
export async function createScratchDatabase(
  serverUrl: string,
  options: ScratchDatabaseOptions = {},
): Promise<ScratchDatabase> {
  const name = `${options.prefix ?? 'groupgraph_scratch'}_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE "${name}"${options.template ? ` TEMPLATE "${options.template}"` : ''}`);
  return {
    name,
    url: databaseUrl(serverUrl, name),
    drop: () => onServer(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** An empty, unmigrated database on the tests' PostgreSQL server. */
export function createEmptyPostgresDatabase(): Promise<ScratchDatabase> {
  return createScratchDatabase(testServerUrl(), { prefix: `gg_test_${process.pid}` });
}

export interface TestDatabase extends Database {
  /** Closes the database and removes it. */
  dispose(): Promise<void>;
  /** The PostgreSQL URL (postgres engine only). */
  url?: string;
}

/** A fresh, migrated database on the engine this test project runs on. */
export async function createTestDatabase(options: OpenOptions = {}): Promise<TestDatabase> {
  // `npm test` records every statement for the tenant-scope check that runs after the suite.
  options = { statementLogDir: process.env.SQL_STATEMENT_LOG || undefined, ...options };
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

/** Where a `groupgraph serve` child process keeps its data on this engine. */
export interface ServerStorage {
  /** For the child's environment: a scratch database's DATABASE_URL, or an empty DATA_DIR (the other one unset). */
  env: { DATABASE_URL: string | undefined; DATA_DIR: string | undefined };
  dispose(): Promise<void>;
}

/** Storage for server processes: an empty PostgreSQL database, or an empty directory for embedded PGlite. */
export async function createServerStorage(): Promise<ServerStorage> {
  if (engine === 'postgres') {
    const empty = await createEmptyPostgresDatabase();
    return { env: { DATABASE_URL: empty.url, DATA_DIR: undefined }, dispose: empty.drop };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'groupgraph-data-'));
  return {
    env: { DATABASE_URL: undefined, DATA_DIR: dataDir },
    dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
