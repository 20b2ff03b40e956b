import type { Database } from '../../src/db/database.ts';

/**
 * Tables shared by every project (reference tables in a distributed database):
 * an API key is looked up by its client id alone, before the project is known.
 */
export const REFERENCE_TABLES: ReadonlySet<string> = new Set(['ApiClient']);

/** Every table of the migrated schema that holds one project's rows: it has a "projectId" column. */
export async function tenantTables(db: Database): Promise<Set<string>> {
  const rows = await db.prisma.$queryRawUnsafe<{ table: string }[]>(
    `SELECT c.relname AS "table"
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname = 'projectId' AND NOT a.attisdropped`,
  );
  return new Set(rows.map((r) => r.table).filter((t) => !REFERENCE_TABLES.has(t)));
}
