import { parseArgs } from 'node:util';

import { loadConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { CommandError, UsageError } from './errors.ts';

// `groupgraph citus plan | distribute`: spreads the schema over a Citus
// cluster by project (docs/scale-out.md explains the plan). Every project's
// rows then live on one shard, and each statement, which names one project,
// runs on one node.

/**
 * Tables shared by every project, copied to every node: the projects, and the
 * API keys (a key is looked up by its client id before the project is known).
 */
export const CITUS_REFERENCE_TABLES = ['Project', 'ApiClient'] as const;
/** Stays on the coordinator: the migrator's own log. */
const LOCAL_TABLES = new Set(['_prisma_migrations']);

export interface CatalogTable {
  name: string;
  hasProjectId: boolean;
}

export interface ForeignKey {
  from: string;
  to: string;
}

/**
 * The statements, in an order Citus accepts: reference tables first, then
 * tenant tables distributed by "projectId" and colocated with the first one,
 * each after the tables its foreign keys point to. Pure, so it is tested
 * without a cluster.
 */
export function distributionPlan(
  tables: CatalogTable[],
  foreignKeys: ForeignKey[],
  done: ReadonlySet<string> = new Set(),
): string[] {
  const reference = new Set<string>(CITUS_REFERENCE_TABLES);
  const unplaced = tables.filter((t) => !reference.has(t.name) && !LOCAL_TABLES.has(t.name) && !t.hasProjectId);
  if (unplaced.length > 0)
    throw new CommandError(
      `cannot place ${unplaced.map((t) => `"${t.name}"`).join(', ')}: a table is either distributed by "projectId" or a reference table`,
    );
  const tenant = tables.filter((t) => t.hasProjectId && !reference.has(t.name)).map((t) => t.name);

  // Parents before children; names sorted so the plan is the same on every run.
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: string) => {
    if (ordered.includes(table) || visiting.has(table)) return;
    visiting.add(table);
    for (const fk of foreignKeys
      .filter((k) => k.from === table && k.to !== table)
      .sort((a, b) => (a.to < b.to ? -1 : 1)))
      if (tenant.includes(fk.to)) visit(fk.to);
    ordered.push(table);
  };
  // The events table anchors the colocation group: the others are placed with it.
  if (tenant.includes('Event')) visit('Event');
  for (const table of [...tenant].sort()) visit(table);

  const statements: string[] = [];
  for (const table of CITUS_REFERENCE_TABLES)
    if (tables.some((t) => t.name === table) && !done.has(table))
      statements.push(`SELECT create_reference_table('public.${quote(table)}');`);
  const anchor = ordered[0];
  for (const table of ordered) {
    if (done.has(table)) continue;
    statements.push(
      table === anchor
        ? `SELECT create_distributed_table('public.${quote(table)}', 'projectId');`
        : `SELECT create_distributed_table('public.${quote(table)}', 'projectId', colocate_with => 'public.${quote(anchor!)}');`,
    );
  }
  return statements;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function catalog(database: Database): Promise<{ tables: CatalogTable[]; foreignKeys: ForeignKey[] }> {
  const tables = await database.prisma.$queryRawUnsafe<CatalogTable[]>(
    `SELECT c.relname::text AS name,
            EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'projectId' AND NOT a.attisdropped) AS "hasProjectId"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
  );
  const foreignKeys = await database.prisma.$queryRawUnsafe<ForeignKey[]>(
    `SELECT cf.relname::text AS "from", ct.relname::text AS "to"
       FROM pg_constraint con
       JOIN pg_class cf ON cf.oid = con.conrelid
       JOIN pg_class ct ON ct.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = cf.relnamespace
      WHERE n.nspname = 'public' AND con.contype = 'f'`,
  );
  return { tables, foreignKeys };
}

const NO_CITUS = `this database has no citus extension.
Distributing needs a Citus coordinator (PostgreSQL with Citus installed, workers added with
citus_add_node) and "CREATE EXTENSION citus" run there; then point DATABASE_URL at the
coordinator and run "groupgraph citus distribute" again. "groupgraph citus plan" prints what
it will run. See docs/scale-out.md.`;

export async function citus(argv: string[]): Promise<void> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  const [action, ...rest] = positionals;
  if ((action !== 'plan' && action !== 'distribute') || rest.length > 0)
    throw new UsageError('citus plan | citus distribute');
  const config = loadConfig();
  if (action === 'distribute' && !config.databaseUrl)
    throw new CommandError(
      `the embedded database cannot be distributed: set DATABASE_URL to a Citus coordinator.\n${NO_CITUS}`,
    );
  const database = await openDatabase(config);
  try {
    await database.migrate();
    const { tables, foreignKeys } = await catalog(database);
    if (action === 'plan') {
      for (const statement of distributionPlan(tables, foreignKeys)) console.log(statement);
      return;
    }
    const [extension] = await database.prisma.$queryRawUnsafe<{ present: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS present`,
    );
    if (!extension?.present) throw new CommandError(NO_CITUS);
    // Already distributed or reference tables are skipped: running again is safe.
    const existing = await database.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT logicalrelid::regclass::text AS name FROM pg_dist_partition`,
    );
    const done = new Set(existing.map((e) => e.name.replace(/^public\./, '').replace(/^"(.*)"$/, '$1')));
    const statements = distributionPlan(tables, foreignKeys, done);
    for (const statement of statements) {
      console.log(statement);
      await database.prisma.$executeRawUnsafe(statement);
    }
    console.log(statements.length ? `Distributed ${statements.length} tables by project.` : 'Already distributed.');
  } finally {
    await database.close();
  }
}
