import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, engine } from './helpers/db.ts';
import { checkTenantScope, loadSqlParser, type ViolationKind } from './helpers/tenantScope.ts';
import { tenantTables } from './helpers/tenantTables.ts';

// Runs after the whole suite (`npm test` runs it as a second pass): every
// distinct SQL statement the suite sent (recorded at the driver adapter, in the
// test processes and in every server process they started, in SQL_STATEMENT_LOG)
// must keep to one project. See test/helpers/tenantScope.ts for the rule and
// test/tenant-scope.test.ts for the checker's own cases.

/**
 * Statements allowed to touch tenant tables without naming exactly one
 * project, each with its reason. Migrations are not here: they run on their
 * own connection, which is not recorded. Lookups of API keys by client id are
 * not here either: "ApiClient" is a reference table (helpers/tenantTables.ts).
 */
const ALLOWED: { sql: string; why: string }[] = [];

/**
 * Kinds of violation accepted as a class, with the reason.
 * - parameter-list: Prisma merges the lookups by key of one request (findUnique
 *   calls and relation loads of several parents) into one statement with
 *   `"projectId" IN ($1, $2, …)` or `("projectId" = $1 AND …) OR ("projectId" =
 *   $3 AND …)`. Every one of those lookups takes its project from the request's
 *   key, so the list repeats one value, and a distributed database prunes such
 *   a list to the shards of its values: one shard.
 */
const ACCEPTED_KINDS: ReadonlySet<ViolationKind> = new Set(['parameter-list']);

const logDir = process.env.SQL_STATEMENT_LOG;

function recordedStatements(dir: string): string[] {
  const all = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      // A process killed mid-write may leave a partial last line.
      if (!line.trim()) continue;
      try {
        all.add(JSON.parse(line) as string);
      } catch {
        /* partial line of a SIGKILLed process */
      }
    }
  }
  return [...all];
}

describe.skipIf(!logDir || engine !== 'postgres')('every statement of the suite is scoped to one project', () => {
  let tables: Set<string>;
  beforeAll(async () => {
    await loadSqlParser();
    const db = await createTestDatabase({ statementLogDir: undefined });
    try {
      tables = await tenantTables(db);
    } finally {
      await db.dispose();
    }
  });

  it('checks what the suite sent', () => {
    expect(existsSync(logDir!)).toBe(true);
    const statements = recordedStatements(logDir!);
    // The suite sends hundreds of distinct statements; a handful means recording broke.
    expect(statements.length).toBeGreaterThan(200);
    expect(tables.has('Event') && tables.has('Group')).toBe(true);

    const allowed = new Set(ALLOWED.map((a) => a.sql));
    const failures: string[] = [];
    let tenantStatements = 0;
    for (const sql of statements) {
      const { tables: touched, violations: all } = checkTenantScope(sql, tables);
      if (touched.length > 0) tenantStatements++;
      const violations = all.filter((v) => !ACCEPTED_KINDS.has(v.kind));
      if (violations.length > 0 && !allowed.has(sql))
        failures.push(
          `${violations.map((v) => v.message).join('; ')}\n    ${sql.replace(/\s+/g, ' ').trim().slice(0, 600)}`,
        );
    }
    expect(tenantStatements).toBeGreaterThan(100);
    expect(failures, `statements not scoped to one project:\n${failures.join('\n')}`).toEqual([]);
  });
});
