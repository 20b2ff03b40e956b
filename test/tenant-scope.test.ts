import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase } from './helpers/db.ts';
import { checkTenantScope, loadSqlParser } from './helpers/tenantScope.ts';

// The scope checker itself: what it accepts and, above all, what it catches.
// The suite-wide check over every recorded statement is tenant-scope.after-suite.test.ts.

const tenant = new Set(['Event', 'Group', 'EventGroup', 'GroupMembership', 'RollupHour']);
const violations = (sql: string) => checkTenantScope(sql, tenant).violations.map((v) => v.message);
const kinds = (sql: string) => checkTenantScope(sql, tenant).violations.map((v) => v.kind);

beforeAll(loadSqlParser);

describe('statements scoped to one project', () => {
  it.each([
    [
      'Prisma style, schema-qualified',
      'SELECT "public"."Group"."id" FROM "public"."Group" WHERE "public"."Group"."projectId" = $1',
    ],
    ['alias', 'SELECT e.* FROM "Event" e WHERE e."projectId" = $1 AND e."createdAt" >= $2'],
    ['unqualified', 'DELETE FROM "Group" WHERE "projectId" = $1 AND "id" = $2'],
    ['literal', `SELECT 1 FROM "Group" WHERE "projectId" = 'p1'`],
    ['cast parameter', 'SELECT 1 FROM "Group" g WHERE g."projectId" = $1::text'],
    [
      'join through equal projectIds',
      'SELECT e.* FROM "EventGroup" eg JOIN "Event" e ON e."projectId" = eg."projectId" AND e."id" = eg."eventId" WHERE eg."projectId" = $1',
    ],
    [
      'correlated EXISTS',
      'SELECT e.id FROM "Event" e WHERE e."projectId" = $1 AND EXISTS (SELECT 1 FROM "Group" g WHERE g."projectId" = e."projectId" AND g.id = ANY(e."groupIds"))',
    ],
    [
      'CTE used by the outer query',
      'WITH x AS (SELECT "projectId", id FROM "Group" WHERE "projectId" = $1) SELECT * FROM x JOIN "Event" e ON e."projectId" = x."projectId"',
    ],
    [
      'pinned from outside a subquery',
      'SELECT s.n FROM (SELECT g."projectId", count(*) AS n FROM "Group" g GROUP BY 1) s WHERE s."projectId" = $1',
    ],
    ['insert with projectId', 'INSERT INTO "Group" ("projectId", id) VALUES ($1, $2) ON CONFLICT DO NOTHING'],
    [
      'insert … select',
      'INSERT INTO "EventGroup" ("projectId", "eventId", "groupId") SELECT e."projectId", e.id, $2 FROM "Event" e WHERE e."projectId" = $1',
    ],
    ['update', 'UPDATE "GroupMembership" SET "leftAt" = now() WHERE "projectId" = $1 AND "groupId" = $2'],
    [
      'union of two pinned arms',
      'SELECT id FROM "Group" WHERE "projectId" = $1 UNION ALL SELECT id FROM "Event" WHERE "projectId" = $1',
    ],
    ['compound key as a row', 'SELECT 1 FROM "Group" WHERE ("projectId", id) = ($1, $2)'],
    ['IN with one parameter', 'SELECT 1 FROM "Group" WHERE "projectId" IN ($1) AND id IN ($2, $3)'],
    ['tables that are not tenant tables', 'SELECT * FROM "Project" WHERE id = $1'],
    ['no table at all', 'SELECT 1'],
  ])('%s', (_name, sql) => {
    expect(violations(sql)).toEqual([]);
  });
});

describe('statements that forget the project', () => {
  it.each([
    ['no WHERE', 'SELECT * FROM "Event"'],
    ['filter on another column', 'SELECT * FROM "Group" WHERE id = $1'],
    ['projectId under OR', 'SELECT * FROM "Group" WHERE "projectId" = $1 OR id = $2'],
    ['projectId under NOT', 'SELECT * FROM "Group" WHERE NOT ("projectId" = $1)'],
    ['projectId compared to a set', 'SELECT * FROM "Group" WHERE "projectId" = ANY($1)'],
    [
      'joined table not tied',
      'SELECT * FROM "Event" e JOIN "Group" g ON g.id = ANY(e."groupIds") WHERE e."projectId" = $1',
    ],
    [
      'unscoped subquery',
      'SELECT * FROM "Group" g WHERE g."projectId" = $1 AND g.id IN (SELECT "groupId" FROM "EventGroup")',
    ],
    ['unscoped CTE', 'WITH x AS (SELECT id FROM "Event") SELECT count(*) FROM x'],
    ['one arm of a union', 'SELECT id FROM "Group" WHERE "projectId" = $1 UNION SELECT id FROM "Group"'],
    ['insert without projectId', 'INSERT INTO "Group" (id) VALUES ($1)'],
    ['update without projectId', 'UPDATE "Group" SET name = $1 WHERE id = $2'],
    ['delete without projectId', 'DELETE FROM "RollupHour"'],
    ['a statement kind it does not know', 'TRUNCATE "Event"'],
    ['schema-qualified and unscoped', 'SELECT * FROM public."Event" WHERE "createdAt" > now()'],
    [
      'projectId tied only to another unpinned column',
      'SELECT * FROM "Event" e, "Group" g WHERE e."projectId" = g."projectId"',
    ],
  ])('%s', (_name, sql) => {
    expect(violations(sql).length).toBeGreaterThan(0);
  });
});

describe('kinds', () => {
  it('tells a list of projects from a missing filter, an insert and an unknown statement', () => {
    expect(kinds('SELECT 1 FROM "Group" WHERE "projectId" IN ($1, $2) AND id IN ($3, $4)')).toEqual(['parameter-list']);
    expect(
      kinds('SELECT 1 FROM "Group" WHERE ("projectId" = $1 AND id = $2) OR ("projectId" = $3 AND id = $4)'),
    ).toEqual(['parameter-list']);
    expect(kinds('SELECT 1 FROM "Group" WHERE ("projectId" = $1 AND id = $2) OR (id = $4)')).toEqual(['unscoped']);
    expect(kinds('SELECT 1 FROM "Group" WHERE id = $1')).toEqual(['unscoped']);
    expect(kinds('INSERT INTO "Group" (id) VALUES ($1)')).toEqual(['insert']);
    expect(kinds('COPY "Event" TO STDOUT')).toEqual(['statement']);
  });
});

describe('recording', () => {
  it('a deliberately unscoped query sent through the database is recorded and caught', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'groupgraph-sql-'));
    try {
      const db = await createTestDatabase({ statementLogDir: dir });
      try {
        await db.prisma.$queryRawUnsafe('SELECT count(*) FROM "Event"');
        await db.prisma.$queryRawUnsafe('SELECT count(*) FROM "Event" WHERE "projectId" = $1', 'p');
      } finally {
        await db.dispose();
      }
      const recorded = readdirSync(dir).flatMap((file) =>
        readFileSync(path.join(dir, file), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as string),
      );
      expect(recorded).toContain('SELECT count(*) FROM "Event"');
      const caught = recorded.filter((sql) => violations(sql).length > 0);
      expect(caught).toEqual(['SELECT count(*) FROM "Event"']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
