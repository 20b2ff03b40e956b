import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { REFERENCE_TABLES, tenantTables } from './helpers/tenantTables.ts';

// The promise that lets the schema be distributed by project (docs/scale-out.md),
// read off the catalog after all migrations: every table a later migration adds
// is held to it without being named here.

/** Tables that are neither tenant nor reference tables. */
const NOT_DISTRIBUTED = new Set([
  'Project', // the tenants themselves: a reference table, keyed by its own id
  '_prisma_migrations', // the migrator's log, on the coordinator only
]);

/**
 * Sequences feeding tenant tables, each with why it cannot make a row depend on
 * another project.
 */
const SEQUENCES: Record<string, string> = {
  // The id is unique only with projectId (the key is ("projectId", id)); its
  // value means nothing across projects, and nothing orders memberships by it
  // across time (cursors order by joinedAt first). A distributed database hands
  // each node its own range of this sequence.
  'GroupMembership.id': 'bigserial, unique with projectId only',
  // The same for the property history: its key is ("projectId", id), and the
  // history is read in order of change time, with the id only breaking ties
  // between changes of one group.
  'GroupPropertyChange.id': 'bigserial, unique with projectId only',
};

type Query = <T>(sql: string) => Promise<T[]>;

/** What breaks the promise, rule by rule (empty lists when it holds). */
async function catalogProblems(rows: Query) {
  const tenant = await tenantTablesOf(rows);

  const tables = await rows<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
  );
  const unplaced = tables
    .map((t) => t.name)
    .filter((t) => !tenant.has(t) && !REFERENCE_TABLES.has(t) && !NOT_DISTRIBUTED.has(t));

  const indexes = await rows<{ table: string; index: string; primary: boolean; first: string | null }>(
    `SELECT c.relname AS "table", ic.relname AS "index", i.indisprimary AS "primary", a.attname::text AS first
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
      WHERE n.nspname = 'public' AND i.indisunique`,
  );
  const scoped = indexes.filter((i) => tenant.has(i.table) || REFERENCE_TABLES.has(i.table));
  const withPrimaryKey = new Set(scoped.filter((i) => i.primary).map((i) => i.table));
  const uniqueKeys = [
    ...scoped
      .filter((i) => i.first !== 'projectId')
      .map((i) => `${i.table}: ${i.index} starts with ${i.first ?? 'an expression'}`),
    ...[...tenant].filter((t) => !withPrimaryKey.has(t)).map((t) => `${t}: no primary key`),
  ];

  const keys = await rows<{ name: string; from: string; to: string; fromColumns: string[]; toColumns: string[] }>(
    `SELECT con.conname::text AS name, cf.relname::text AS "from", ct.relname::text AS "to",
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS "fromColumns",
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                    JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) AS "toColumns"
       FROM pg_constraint con
       JOIN pg_class cf ON cf.oid = con.conrelid
       JOIN pg_class ct ON ct.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = cf.relnamespace
      WHERE n.nspname = 'public' AND con.contype = 'f'`,
  );
  const foreignKeys: string[] = [];
  for (const key of keys) {
    if (tenant.has(key.from) && tenant.has(key.to)) {
      const at = key.fromColumns.indexOf('projectId');
      if (at < 0 || key.toColumns[at] !== 'projectId')
        foreignKeys.push(`${key.name}: (${key.fromColumns}) → ${key.to}(${key.toColumns})`);
    } else if (!tenant.has(key.from) && tenant.has(key.to)) {
      // A shared table cannot point into one project's shard.
      foreignKeys.push(`${key.name}: ${key.from} is not a tenant table but references ${key.to}`);
    }
  }

  const triggers = (
    await rows<{ table: string; name: string }>(
      `SELECT c.relname::text AS "table", t.tgname::text AS name FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND NOT t.tgisinternal`,
    )
  ).map((t) => `${t.table}: ${t.name}`);

  const sequences = (
    await rows<{ table: string; column: string }>(
      `SELECT table_name::text AS "table", column_name::text AS "column" FROM information_schema.columns
        WHERE table_schema = 'public' AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')`,
    )
  )
    .filter((g) => tenant.has(g.table))
    .map((g) => `${g.table}.${g.column}`)
    .filter((name) => !(name in SEQUENCES));

  // A function that reads tables could join projects behind the statement check's back.
  const functions = (
    await rows<{ name: string; volatility: string }>(
      `SELECT p.proname::text AS name, p.provolatile::text AS volatility FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`,
    )
  )
    .filter((f) => f.volatility !== 'i')
    .map((f) => f.name);

  return { tenant, unplaced, uniqueKeys, foreignKeys, triggers, sequences, functions, keyCount: keys.length };
}

async function tenantTablesOf(rows: Query): Promise<Set<string>> {
  return tenantTables({ prisma: { $queryRawUnsafe: rows } } as unknown as TestDatabase);
}

let db: TestDatabase;
const query: Query = (sql) => db.prisma.$queryRawUnsafe(sql);

beforeAll(async () => {
  // Not recorded for the suite's statement-scope check: this file creates a
  // deliberately broken table and trigger, which are not statements of the app.
  db = await createTestDatabase({ statementLogDir: undefined });
});
afterAll(() => db?.dispose());

describe('the catalog after migrations', () => {
  it('keeps every rule', async () => {
    const problems = await catalogProblems(query);
    for (const core of ['Event', 'EventGroup', 'Group', 'GroupMembership', 'Profile', 'GroupActivityDay'])
      expect(problems.tenant.has(core), core).toBe(true);
    expect(problems.keyCount).toBeGreaterThan(0);
    expect(problems.unplaced, 'tables neither tenant nor reference').toEqual([]);
    expect(problems.uniqueKeys, 'unique keys not starting with projectId').toEqual([]);
    expect(problems.foreignKeys, 'foreign keys between tenant tables without projectId').toEqual([]);
    expect(problems.triggers, 'triggers').toEqual([]);
    expect(problems.sequences, 'sequences not listed').toEqual([]);
    expect(problems.functions, 'functions that are not immutable').toEqual([]);
  });

  it('catches a table that breaks each rule', async () => {
    // In a transaction that is rolled back: the database stays as migrated.
    await db.prisma
      .$transaction(async (tx) => {
        const run = (sql: string) => tx.$executeRawUnsafe(sql);
        await run(`CREATE TABLE "Loose" (id text PRIMARY KEY)`);
        await run(`CREATE TABLE "BadKey" ("projectId" text NOT NULL, id bigserial, "groupId" text, PRIMARY KEY (id))`);
        await run(`CREATE UNIQUE INDEX "BadKey_group" ON "BadKey" ("groupId", "projectId")`);
        await run(
          `CREATE TABLE "BadChild" ("projectId" text NOT NULL, parent bigint REFERENCES "BadKey" (id), PRIMARY KEY ("projectId", parent))`,
        );
        await run(`CREATE FUNCTION "touch"() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'`);
        await run(`CREATE TRIGGER "touch_event" BEFORE INSERT ON "Event" FOR EACH ROW EXECUTE FUNCTION "touch"()`);
        const problems = await catalogProblems((sql) => tx.$queryRawUnsafe(sql));
        expect(problems.unplaced).toEqual(['Loose']);
        expect(problems.uniqueKeys).toEqual(
          expect.arrayContaining([expect.stringContaining('BadKey_pkey'), expect.stringContaining('BadKey_group')]),
        );
        expect(problems.foreignKeys).toEqual([expect.stringContaining('(parent) → BadKey(id)')]);
        expect(problems.triggers).toEqual(['Event: touch_event']);
        expect(problems.sequences).toEqual(['BadKey.id']);
        expect(problems.functions).toEqual(['touch']);
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
    expect((await catalogProblems(query)).unplaced).toEqual([]);
  });
});

class RolledBack extends Error {}
