import { Prisma } from '../../generated/prisma/client.ts';
import { cohortMembersSql } from '../cohorts/sql.ts';
import { cohortOf, type EventFilter, type PropertyFilter } from './filter.ts';

// The SQL of a validated EventFilter (filter.ts validates it).

/** SQL for one property filter on a jsonb column expression. */
export function propertyCondition(column: Prisma.Sql, filter: PropertyFilter): Prisma.Sql {
  const field = Prisma.sql`(${column} -> ${filter.key})`;
  const text = Prisma.sql`(${column} ->> ${filter.key})`;
  const json = (v: unknown) => Prisma.sql`${JSON.stringify(v)}::jsonb`;
  const compare = (operator: string) => {
    const op = Prisma.raw(operator);
    return typeof filter.value === 'number'
      ? Prisma.sql`(jsonb_typeof(${field}) = 'number' AND ${text}::numeric ${op} ${filter.value})`
      : Prisma.sql`(jsonb_typeof(${field}) = 'string' AND ${text} ${op} ${String(filter.value)})`;
  };
  switch (filter.op) {
    case 'EQ':
      return Prisma.sql`${field} = ${json(filter.value)}`;
    case 'NEQ':
      return Prisma.sql`${field} IS DISTINCT FROM ${json(filter.value)}`;
    case 'GT':
      return compare('>');
    case 'GTE':
      return compare('>=');
    case 'LT':
      return compare('<');
    case 'LTE':
      return compare('<=');
    case 'CONTAINS': {
      const needle = String(filter.value).replace(/[\\%_]/g, (c) => `\\${c}`);
      return Prisma.sql`((jsonb_typeof(${field}) = 'array' AND ${field} @> jsonb_build_array(${json(filter.value)}))
        OR (jsonb_typeof(${field}) = 'string' AND ${text} ILIKE ${`%${needle}%`}))`;
    }
    case 'IN':
      return Prisma.sql`${field} IN (SELECT jsonb_array_elements(${json(filter.value)}))`;
    case 'EXISTS':
      return filter.value === false ? Prisma.sql`${field} IS NULL` : Prisma.sql`${field} IS NOT NULL`;
  }
}

function and(parts: Prisma.Sql[]): Prisma.Sql {
  return parts.length === 0 ? Prisma.sql`TRUE` : Prisma.join(parts, ' AND ');
}

/**
 * The condition a group row (alias `g`) must meet for groupType/groupProperties
 * and a cohort of groups; null when none is set.
 */
export function groupCondition(filter: EventFilter, g = 'g'): Prisma.Sql | null {
  const parts: Prisma.Sql[] = [];
  const alias = Prisma.raw(`"${g}"`);
  if (filter.groupType != null) parts.push(Prisma.sql`${alias}."type" = ${filter.groupType}`);
  for (const f of filter.groupProperties ?? []) parts.push(propertyCondition(Prisma.sql`${alias}."properties"`, f));
  const cohort = cohortOf(filter);
  if (cohort?.definition.unit === 'GROUP') {
    parts.push(Prisma.sql`${alias}."id" IN (${cohortMembersSql(cohort)})`);
  }
  return parts.length ? and(parts) : null;
}

/** For a cohort of profiles: the condition on a profile id column; null otherwise. */
export function profileCohortCondition(filter: EventFilter, column: Prisma.Sql): Prisma.Sql | null {
  const cohort = cohortOf(filter);
  return cohort?.definition.unit === 'PROFILE' ? Prisma.sql`${column} IN (${cohortMembersSql(cohort)})` : null;
}

/**
 * The WHERE condition (without project scoping of the event table itself) for
 * events aliased `e`. The caller adds `e."projectId" = …`; group lookups here are
 * scoped to `projectId`.
 */
export function eventFilterSql(projectId: string, filter: EventFilter, e = 'e'): Prisma.Sql {
  const alias = Prisma.raw(`"${e}"`);
  const parts: Prisma.Sql[] = [];
  if (filter.eventNames?.length) parts.push(Prisma.sql`${alias}."name" = ANY(${[...filter.eventNames]}::text[])`);
  if (filter.profileId != null) parts.push(Prisma.sql`${alias}."profileId" = ${filter.profileId}`);
  const profileCohort = profileCohortCondition(filter, Prisma.sql`${alias}."profileId"`);
  if (profileCohort) parts.push(profileCohort);
  if (filter.groupIds?.length) parts.push(Prisma.sql`${alias}."groupIds" && ${[...filter.groupIds]}::text[]`);
  if (filter.from) parts.push(Prisma.sql`${alias}."createdAt" >= ${filter.from}`);
  if (filter.to) parts.push(Prisma.sql`${alias}."createdAt" < ${filter.to}`);
  for (const f of filter.properties ?? []) parts.push(propertyCondition(Prisma.sql`${alias}."properties"`, f));
  const groups = groupCondition(filter, 'fg');
  if (groups) {
    parts.push(Prisma.sql`EXISTS (SELECT 1 FROM "Group" "fg"
      WHERE "fg"."projectId" = ${projectId} AND "fg"."id" = ANY(${alias}."groupIds") AND ${groups})`);
  }
  return and(parts);
}
