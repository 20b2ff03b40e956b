import { Prisma, type Group, type PrismaClient } from '../generated/prisma/client.ts';
import { checkValue, type PropertyFilter } from './analysis/filter.ts';
import { propertyCondition } from './analysis/filterSql.ts';
import type { IntRange } from './cohorts/definition.ts';
import type { CohortService } from './cohorts/service.ts';
import { cohortMembersSql } from './cohorts/sql.ts';
import { ValidationError } from './errors.ts';
import {
  cursorText,
  cursorTime,
  decodeCursor,
  encodeCursor,
  pageSize,
  toPage,
  type Page,
  type PageArgs,
} from './pagination.ts';
import { optionalText, queryTime, requireName } from './validation.ts';

// The `groups` list: filters on the entity, its activity and its members, a
// choice of order, and keyset pages that stay stable under every order. One
// statement picks a page of ids; the caller loads the rows with the selection
// its query needs, so a page costs the same number of statements at any size.

export interface GroupFilter {
  properties?: readonly PropertyFilter[] | null;
  /** Latest tagged event strictly before this instant (groups without events never match). */
  lastActiveBefore?: Date | null;
  /** Latest tagged event at or after this instant. */
  lastActiveAfter?: Date | null;
  /** Created strictly before. */
  createdBefore?: Date | null;
  /** Created at or after. */
  createdAfter?: Date | null;
  /** Current members, inclusive. */
  memberCount?: IntRange | null;
  /** true: only placeholders (no type and no name yet); false: none. */
  placeholder?: boolean | null;
}

export const GROUP_ORDER_FIELDS = ['NAME', 'CREATED_AT', 'LAST_ACTIVE_AT', 'MEMBER_COUNT'] as const;
export type GroupOrderField = (typeof GROUP_ORDER_FIELDS)[number];
export type OrderDirection = 'ASC' | 'DESC';

export interface GroupOrder {
  field: GroupOrderField;
  direction?: OrderDirection | null;
}

export interface GroupListArgs extends PageArgs {
  type?: string | null;
  search?: string | null;
  filter?: GroupFilter | null;
  orderBy?: GroupOrder | null;
  cohortId?: string | null;
}

const MAX_FILTERS = 20;
type FullOrder = { field: GroupOrderField; direction: OrderDirection };
const DEFAULT_ORDER: FullOrder = { field: 'CREATED_AT', direction: 'DESC' };

/** Per order field: the sort key of a group row `g` and how a cursor value is read back. */
const SORT_KEY: Record<GroupOrderField, { sql: (projectId: string) => Prisma.Sql; cast: Prisma.Sql }> = {
  NAME: { sql: () => Prisma.sql`g."name"`, cast: Prisma.sql`::text` },
  CREATED_AT: { sql: () => Prisma.sql`g."createdAt"`, cast: Prisma.sql`::timestamptz` },
  LAST_ACTIVE_AT: { sql: (p) => lastActiveSql(p), cast: Prisma.sql`::timestamptz` },
  MEMBER_COUNT: { sql: (p) => memberCountSql(p), cast: Prisma.sql`::int` },
};

/** Time of the group's latest tagged event: one probe of the EventGroup key, as Group.lastActiveAt reads it. */
const lastActiveSql = (projectId: string) =>
  Prisma.sql`(SELECT max(eg."createdAt") FROM "EventGroup" eg WHERE eg."projectId" = ${projectId} AND eg."groupId" = g."id")`;
/** Current members, as Group.memberCount counts them. */
const memberCountSql = (projectId: string) =>
  Prisma.sql`(SELECT count(*)::int FROM "GroupMembership" m WHERE m."projectId" = ${projectId} AND m."groupId" = g."id" AND m."leftAt" IS NULL)`;

function validDate(value: Date | null | undefined, field: string): Date | null {
  return queryTime(value, field) ?? null;
}

function validCount(value: number | null | undefined, field: string): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 0) throw new ValidationError(field, 'must be a non-negative integer');
  return value;
}

/** Cursor: [field, direction, key as text ('' when null), 1 when the key is null, id]. */
type Cursor = { value: string | null; id: string };

function decodeGroupCursor(cursor: string, order: FullOrder, argument: 'after' | 'before'): Cursor {
  const [field, direction, value, isNull, id] = decodeCursor(
    cursor,
    ['string', 'string', 'string', 'number', 'string'],
    argument,
  );
  if (field !== order.field || direction !== order.direction) {
    throw new ValidationError(argument, `belongs to a different orderBy; start again without ${argument}`);
  }
  // Forged keys would reach PostgreSQL's casts (timestamptz, int) and text
  // columns: each must be a value this order could have produced.
  cursorText(id!, argument);
  if (isNull === 1) return { value: null, id: id as string };
  if (order.field === 'CREATED_AT' || order.field === 'LAST_ACTIVE_AT') cursorTime(value!, argument);
  else if (order.field === 'MEMBER_COUNT') {
    if (!/^\d{1,10}$/.test(value as string) || Number(value) > 2 ** 31 - 1)
      throw new ValidationError(argument, 'is not a cursor returned by this connection');
  } else cursorText(value!, argument);
  return { value: value as string, id: id as string };
}

const keyText = (value: unknown): string | null =>
  value == null ? null : value instanceof Date ? value.toISOString() : String(value);

export class GroupListService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly cohorts: CohortService,
  ) {}

  /**
   * One page of group ids in order (with the key each was sorted by). Nulls sort
   * last in both directions; ties are broken by id, in the same direction.
   * `first`/`after` page forward; `last`/`before` page back (the dashboard's
   * "Previous"): the same order scanned the other way, then reversed.
   */
  async pageOfIds(projectId: string, args: GroupListArgs): Promise<Page<{ id: string }>> {
    const backward = args.last != null || args.before != null;
    if (backward && (args.first != null || args.after != null))
      throw new ValidationError(args.first != null ? 'first' : 'after', 'cannot be combined with last/before');
    const size = backward ? pageSize({ first: args.last }, 'last') : pageSize(args);
    const order: FullOrder = {
      field: args.orderBy?.field ?? DEFAULT_ORDER.field,
      direction: args.orderBy?.direction ?? DEFAULT_ORDER.direction,
    };
    if (!GROUP_ORDER_FIELDS.includes(order.field))
      throw new ValidationError('orderBy.field', `must be one of ${GROUP_ORDER_FIELDS.join(', ')}`);
    if (order.direction !== 'ASC' && order.direction !== 'DESC')
      throw new ValidationError('orderBy.direction', 'must be ASC or DESC');
    const cursorText = backward ? args.before : args.after;
    const after = cursorText ? decodeGroupCursor(cursorText, order, backward ? 'before' : 'after') : null;
    const where = await this.conditions(projectId, args);

    const key = SORT_KEY[order.field];
    const collate = order.field === 'NAME' ? Prisma.raw(' COLLATE "C"') : Prisma.empty;
    // The direction rows are read in: the order's, or its reverse when paging back.
    const descending = (order.direction === 'DESC') !== backward;
    const op = Prisma.raw(descending ? '<' : '>');
    const dir = Prisma.raw(descending ? 'DESC' : 'ASC');
    const nullsLast = Prisma.raw(backward ? 'DESC' : 'ASC');
    const outer: Prisma.Sql[] = [...where.outer];
    if (after) {
      const idAfter = Prisma.sql`x."id" COLLATE "C" ${op} ${after.id}`;
      if (after.value === null) {
        // Null keys come last: forward, only nulls follow; backward, every non-null precedes.
        outer.push(
          backward ? Prisma.sql`(x."k" IS NOT NULL OR ${idAfter})` : Prisma.sql`(x."k" IS NULL AND ${idAfter})`,
        );
      } else {
        const v = Prisma.sql`${after.value}${key.cast}`;
        const beyond = Prisma.sql`(x."k"${collate} ${op} ${v} OR (x."k" = ${v} AND ${idAfter}))`;
        outer.push(backward ? Prisma.sql`(x."k" IS NOT NULL AND ${beyond})` : Prisma.sql`(x."k" IS NULL OR ${beyond})`);
      }
    }
    const rows = await this.prisma.$queryRaw<{ id: string; k: unknown }[]>`
      SELECT x."id", x."k" FROM (
        SELECT g."id", ${key.sql(projectId)} AS "k"${where.columns}
        FROM "Group" g
        WHERE ${Prisma.join(where.inner, ' AND ')}
      ) x
      ${outer.length ? Prisma.sql`WHERE ${Prisma.join(outer, ' AND ')}` : Prisma.empty}
      ORDER BY (x."k" IS NULL) ${nullsLast}, x."k"${collate} ${dir}, x."id" COLLATE "C" ${dir}
      LIMIT ${size + 1}`;
    const cursorOf = (r: { key: string | null; id: string }) =>
      encodeCursor([order.field, order.direction, r.key ?? '', r.key === null ? 1 : 0, r.id]);
    const keyed = rows.map((r) => ({ id: r.id, key: keyText(r.k) }));
    if (!backward) return toPage(keyed, size, cursorOf, after !== null);
    const page = toPage(keyed, size, cursorOf, after !== null);
    const edges = page.edges.reverse();
    return {
      edges,
      pageInfo: {
        hasPreviousPage: rows.length > size,
        hasNextPage: after !== null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  /** A page of groups: the ids' page, its rows loaded with `query` (plugin-prisma's selection) in order. */
  async list(
    projectId: string,
    args: GroupListArgs,
    query: Omit<Prisma.GroupFindManyArgs, 'where'> = {},
  ): Promise<Page<Group>> {
    const page = await this.pageOfIds(projectId, args);
    const ids = page.edges.map((e) => e.node.id);
    const rows = ids.length
      ? await this.prisma.group.findMany({ ...query, where: { projectId, id: { in: ids } } })
      : [];
    const byId = new Map(rows.map((g) => [g.id, g]));
    // A group deleted between the two statements is left out of the page.
    const edges = page.edges.flatMap((e) => {
      const node = byId.get(e.node.id);
      return node ? [{ cursor: e.cursor, node }] : [];
    });
    return { edges, pageInfo: page.pageInfo };
  }

  /** Conditions on the group row (inner), and on its computed activity and member count (outer). */
  private async conditions(projectId: string, args: GroupListArgs) {
    const inner: Prisma.Sql[] = [Prisma.sql`g."projectId" = ${projectId}`];
    const outer: Prisma.Sql[] = [];
    let columns = Prisma.empty;
    if (args.type != null) inner.push(Prisma.sql`g."type" = ${requireName(args.type, 'type')}`);
    const search = optionalText(args.search, 'search', 200)?.trim();
    if (search) {
      const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      inner.push(Prisma.sql`(g."id" ILIKE ${pattern} OR g."name" ILIKE ${pattern})`);
    }
    if (args.cohortId != null) {
      const cohort = await this.cohorts.resolve(projectId, args.cohortId, 'cohortId', {
        unit: 'GROUP',
        groupType: args.type,
      });
      inner.push(Prisma.sql`g."id" IN (${cohortMembersSql(cohort)})`);
    }
    const f = args.filter ?? {};
    const properties = f.properties ?? [];
    if (properties.length > MAX_FILTERS)
      throw new ValidationError('filter.properties', `at most ${MAX_FILTERS} filters`);
    properties.forEach((p, i) => {
      checkValue(p, `filter.properties[${i}]`);
      inner.push(Prisma.sql`(${propertyCondition(Prisma.sql`g."properties"`, p)}) IS TRUE`);
    });
    const createdBefore = validDate(f.createdBefore, 'filter.createdBefore');
    const createdAfter = validDate(f.createdAfter, 'filter.createdAfter');
    if (createdBefore) inner.push(Prisma.sql`g."createdAt" < ${createdBefore}`);
    if (createdAfter) inner.push(Prisma.sql`g."createdAt" >= ${createdAfter}`);
    if (f.placeholder === true) inner.push(Prisma.sql`(g."type" IS NULL AND g."name" IS NULL)`);
    if (f.placeholder === false) inner.push(Prisma.sql`NOT (g."type" IS NULL AND g."name" IS NULL)`);

    const activeBefore = validDate(f.lastActiveBefore, 'filter.lastActiveBefore');
    const activeAfter = validDate(f.lastActiveAfter, 'filter.lastActiveAfter');
    if (activeBefore || activeAfter) {
      columns = Prisma.sql`${columns}, ${lastActiveSql(projectId)} AS "lastActiveAt"`;
      if (activeBefore) outer.push(Prisma.sql`x."lastActiveAt" < ${activeBefore}`);
      if (activeAfter) outer.push(Prisma.sql`x."lastActiveAt" >= ${activeAfter}`);
    }
    if (f.memberCount) {
      const min = validCount(f.memberCount.min, 'filter.memberCount.min');
      const max = validCount(f.memberCount.max, 'filter.memberCount.max');
      if (min != null && max != null && min > max)
        throw new ValidationError('filter.memberCount.max', 'must not be below min');
      columns = Prisma.sql`${columns}, ${memberCountSql(projectId)} AS "memberCount"`;
      if (min != null) outer.push(Prisma.sql`x."memberCount" >= ${min}`);
      if (max != null) outer.push(Prisma.sql`x."memberCount" <= ${max}`);
    }
    return { inner, outer, columns };
  }
}
