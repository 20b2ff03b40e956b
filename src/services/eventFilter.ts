import { Prisma } from '../generated/prisma/client.ts';
import { ValidationError } from './errors.ts';
import { LIMITS, requireId, requireIdList, requireName } from './limits.ts';

export const FILTER_OPS = ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE', 'CONTAINS', 'IN', 'EXISTS'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface PropertyFilter {
  key: string;
  op: FilterOp;
  value?: unknown;
}

/** Which events a query is about (DESIGN §2 EventFilter). All parts must hold. */
export interface EventFilter {
  eventNames?: readonly string[] | null;
  profileId?: string | null;
  /** Events tagged with any of these groups. */
  groupIds?: readonly string[] | null;
  /** Events tagged with a group of this type (that also matches groupProperties). */
  groupType?: string | null;
  /** Inclusive. */
  from?: Date | null;
  /** Exclusive. */
  to?: Date | null;
  /** On the event's properties. */
  properties?: readonly PropertyFilter[] | null;
  /** On the properties of the event's groups: some group of the event matches all of them. */
  groupProperties?: readonly PropertyFilter[] | null;
}

const MAX_FILTERS = 20;
const MAX_IN_VALUES = 1000;

function checkValue(filter: PropertyFilter, field: string): void {
  requireName(filter.key, `${field}.key`);
  const value = filter.value;
  switch (filter.op) {
    case 'EQ':
    case 'NEQ':
      if (value === undefined) throw new ValidationError(`${field}.value`, `${filter.op} needs a value`);
      return;
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE':
      if (typeof value !== 'number' && typeof value !== 'string') {
        throw new ValidationError(`${field}.value`, `${filter.op} compares with a number or a string`);
      }
      return;
    case 'CONTAINS':
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new ValidationError(`${field}.value`, 'CONTAINS needs a string, number or boolean');
      }
      return;
    case 'IN':
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN_VALUES) {
        throw new ValidationError(`${field}.value`, `IN needs a list of 1 to ${MAX_IN_VALUES} values`);
      }
      return;
    case 'EXISTS':
      if (value !== undefined && value !== null && typeof value !== 'boolean') {
        throw new ValidationError(`${field}.value`, 'EXISTS takes true (default) or false');
      }
      return;
    default:
      throw new ValidationError(`${field}.op`, `must be one of ${FILTER_OPS.join(', ')}`);
  }
}

/** Validates a filter; throws VALIDATION_FAILED naming the offending field (under `path`). */
export function validateEventFilter(filter: EventFilter | null | undefined, path = 'filter'): EventFilter {
  if (!filter) return {};
  if (filter.eventNames) {
    if (filter.eventNames.length > LIMITS.groupsPerEvent)
      throw new ValidationError(`${path}.eventNames`, `at most ${LIMITS.groupsPerEvent} names`);
    filter.eventNames.forEach((n, i) => requireName(n, `${path}.eventNames[${i}]`));
  }
  if (filter.profileId != null) requireId(filter.profileId, `${path}.profileId`);
  if (filter.groupIds) requireIdList(filter.groupIds, `${path}.groupIds`);
  if (filter.groupType != null) requireName(filter.groupType, `${path}.groupType`);
  if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime()) {
    throw new ValidationError(`${path}.to`, 'must not be before from');
  }
  for (const [name, list] of [
    ['properties', filter.properties],
    ['groupProperties', filter.groupProperties],
  ] as const) {
    if (!list) continue;
    if (list.length > MAX_FILTERS) throw new ValidationError(`${path}.${name}`, `at most ${MAX_FILTERS} filters`);
    list.forEach((f, i) => checkValue(f, `${path}.${name}[${i}]`));
  }
  return filter;
}

/** SQL for one property filter on a jsonb column expression. */
function propertyCondition(column: Prisma.Sql, filter: PropertyFilter): Prisma.Sql {
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

/** The condition a group row (alias `g`) must meet for groupType/groupProperties; null when neither is set. */
export function groupCondition(filter: EventFilter, g = 'g'): Prisma.Sql | null {
  const parts: Prisma.Sql[] = [];
  const alias = Prisma.raw(`"${g}"`);
  if (filter.groupType != null) parts.push(Prisma.sql`${alias}."type" = ${filter.groupType}`);
  for (const f of filter.groupProperties ?? []) parts.push(propertyCondition(Prisma.sql`${alias}."properties"`, f));
  return parts.length ? and(parts) : null;
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
