import { Prisma } from '../../generated/prisma/client.ts';
import { hasPropertyFilters } from './filter.ts';
import { eventFilterSql, groupCondition, profileCohortCondition } from './filterSql.ts';
import type { HourSpan, Plan, RollupTable, UnitColumns } from './plan.ts';
import { isGroupBreakdown, type Question } from './question.ts';

// The one statement that answers a planned question, composed with Prisma.sql
// (every value a parameter). Its CTEs, in order:
//   rollup_units, raw_units, units – events as "units" (b = base bucket, gs = group
//       set, name, profile, w = how many events), from the storage the plan chose;
//   sets, set_groups – the groups of each unit's set that may form a series or count;
//   cells            – per base bucket and series key, a count or distinct entities;
//   totals, top, points – the top series and their points.

/** One row of the answer: a series (i null: key, total, label) or one of its points (key, i, v). */
export interface AggregationRow {
  key: string | null;
  total: number | null;
  label: string | null;
  i: number | null;
  v: number | null;
}

/** Dates as ISO strings, to bind as one timestamptz[] parameter. */
export const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

/** Collapses unit rows (b, gs, groups, name, profile, w) to the columns the question needs. */
function collapse(rows: Prisma.Sql, columns: UnitColumns): Prisma.Sql {
  const pick = (needed: boolean, column: string, type: string) =>
    Prisma.raw(needed ? `x."${column}"` : `NULL::${type}`);
  return Prisma.sql`
    SELECT x."b", ${pick(columns.sets, 'gs', 'text')} AS "gs", ${pick(columns.sets, 'groups', 'text[]')} AS "groups",
           ${pick(columns.name, 'name', 'text')} AS "name", ${pick(columns.profile, 'profile', 'text')} AS "profile", sum(x."w")::bigint AS "w"
    FROM (${rows}) x
    GROUP BY 1, 2, 3, 4, 5`;
}

const EMPTY_UNITS = Prisma.sql`SELECT NULL::int AS "b", NULL::text AS "gs", NULL::text[] AS "groups", NULL::text AS "name", NULL::text AS "profile", 0::bigint AS "w" WHERE false`;

/** Rollup rows of the hours in `span` except the edge hours. */
function rollupUnits(projectId: string, plan: Plan, table: RollupTable, span: HourSpan, edgeHours: Date[]): Prisma.Sql {
  const q = plan.question;
  const starts = iso(plan.starts);
  const conditions: Prisma.Sql[] = [Prisma.sql`r."projectId" = ${projectId}`];
  if (span.from) conditions.push(Prisma.sql`r."hour" >= ${span.from}`);
  if (span.to) conditions.push(Prisma.sql`r."hour" < ${span.to}`);
  if (edgeHours.length) conditions.push(Prisma.sql`NOT (r."hour" = ANY(${iso(edgeHours)}::timestamptz[]))`);
  const f = q.filter;
  if (f.eventNames?.length) conditions.push(Prisma.sql`r."name" = ANY(${[...f.eventNames]}::text[])`);
  if (f.profileId != null) conditions.push(Prisma.sql`r."profileId" = ${f.profileId}`);
  const profileCohort = profileCohortCondition(f, Prisma.sql`r."profileId"`);
  if (profileCohort) conditions.push(profileCohort);
  const setConditions: Prisma.Sql[] = [];
  if (f.groupIds?.length) setConditions.push(Prisma.sql`s."groupIds" && ${[...f.groupIds]}::text[]`);
  const groups = groupCondition(f, 'fg');
  if (groups) {
    setConditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "Group" "fg"
      WHERE "fg"."projectId" = ${projectId} AND "fg"."id" = ANY(s."groupIds") AND ${groups})`);
  }
  if (setConditions.length) {
    // The sets of the groups asked about: an index range per set instead of every set's rows.
    conditions.push(Prisma.sql`r."groupSet" = ANY(ARRAY(
      SELECT s."groupSet" FROM "GroupSet" s WHERE s."projectId" = ${projectId} AND ${Prisma.join(setConditions, ' AND ')}))`);
  }
  const name = table === 'RollupHourName' ? Prisma.sql`r."name"` : Prisma.sql`NULL::text`;
  const profile = table === 'RollupHourProfile' ? Prisma.sql`NULLIF(r."profileId", '')` : Prisma.sql`NULL::text`;
  // Only event counts need "events"; distinct counts leave it out, so they read the group-set index alone.
  const weight = q.metric === 'EVENTS' ? Prisma.sql`r."events"` : Prisma.sql`1`;
  return collapse(
    Prisma.sql`
      SELECT width_bucket(r."hour", ${starts}::timestamptz[]) AS "b", r."groupSet" AS "gs", NULL::text[] AS "groups",
             ${name} AS "name", ${profile} AS "profile", ${weight} AS "w"
      FROM ${Prisma.raw(`"${table}"`)} r
      WHERE ${Prisma.join(conditions, ' AND ')}`,
    plan.columns,
  );
}

/** Raw events, all of the range or only its edge hours. */
function eventUnits(projectId: string, plan: Plan, edgeHours?: Date[]): Prisma.Sql {
  const starts = iso(plan.starts);
  const events = Prisma.sql`
    SELECT e.* FROM "Event" e
    WHERE e."projectId" = ${projectId} AND e."createdAt" >= ${plan.rangeStart} AND e."createdAt" < ${plan.rangeEnd}
      ${edgeHours ? Prisma.sql`AND e."createdAt" >= h."hour" AND e."createdAt" < h."hour" + interval '1 hour'` : Prisma.empty}
      AND ${eventFilterSql(projectId, plan.question.filter, 'e')}
    ${edgeHours ? Prisma.sql`OFFSET 0` : Prisma.empty}`;
  // LATERAL (kept apart by OFFSET 0): one index range per edge hour, whatever the planner guesses about the list.
  const from = edgeHours
    ? Prisma.sql`unnest(${iso(edgeHours)}::timestamptz[]) AS h("hour") CROSS JOIN LATERAL (${events}) e`
    : Prisma.sql`(${events}) e`;
  return collapse(
    Prisma.sql`
      SELECT width_bucket(e."createdAt", ${starts}::timestamptz[]) AS "b", 'e' || e."groupIds"::text AS "gs", e."groupIds" AS "groups",
             e."name", e."profileId" AS "profile", 1 AS "w"
      FROM ${from}`,
    plan.columns,
  );
}

/** One unit per event tagged with one of the filter's groups; its groups are those of them it carries. */
function eventGroupUnits(projectId: string, plan: Plan): Prisma.Sql {
  const f = plan.question.filter;
  const starts = iso(plan.starts);
  const conditions: Prisma.Sql[] = [
    Prisma.sql`eg."projectId" = ${projectId}`,
    Prisma.sql`eg."groupId" = ANY(${[...f.groupIds!]}::text[])`,
    Prisma.sql`eg."createdAt" >= ${plan.rangeStart}`,
    Prisma.sql`eg."createdAt" < ${plan.rangeEnd}`,
  ];
  if (f.eventNames?.length) conditions.push(Prisma.sql`eg."name" = ANY(${[...f.eventNames]}::text[])`);
  if (f.profileId != null) conditions.push(Prisma.sql`eg."profileId" = ${f.profileId}`);
  const profileCohort = profileCohortCondition(f, Prisma.sql`eg."profileId"`);
  if (profileCohort) conditions.push(profileCohort);
  const join = hasPropertyFilters(f)
    ? Prisma.sql`JOIN "Event" e ON e."projectId" = ${projectId} AND e."id" = eg."eventId"
        AND ${eventFilterSql(projectId, { properties: f.properties }, 'e')}`
    : Prisma.empty;
  return collapse(
    Prisma.sql`
      SELECT width_bucket(eg."createdAt", ${starts}::timestamptz[]) AS "b",
             'g' || array_agg(eg."groupId" ORDER BY eg."groupId")::text AS "gs", array_agg(eg."groupId" ORDER BY eg."groupId") AS "groups",
             eg."name", eg."profileId" AS "profile", 1 AS "w"
      FROM "EventGroup" eg ${join}
      WHERE ${Prisma.join(conditions, ' AND ')}
      GROUP BY eg."eventId", eg."createdAt", eg."name", eg."profileId"`,
    plan.columns,
  );
}

/** The units, from the storage the plan chose, as the `rollup_units`, `raw_units` and `units` CTEs, and their `sets` when needed. */
function unitsCtes(projectId: string, plan: Plan): Prisma.Sql {
  let rollup = EMPTY_UNITS;
  let raw = EMPTY_UNITS;
  const storage = plan.storage;
  switch (storage.path) {
    case 'rollup': {
      const { rollupHours, edgeHours } = storage.hours;
      if (rollupHours) rollup = rollupUnits(projectId, plan, storage.table, rollupHours, edgeHours);
      if (edgeHours.length) raw = eventUnits(projectId, plan, edgeHours);
      break;
    }
    case 'eventGroups':
      raw = eventGroupUnits(projectId, plan);
      break;
    case 'events':
      raw = eventUnits(projectId, plan);
      break;
    case 'none':
      break;
  }
  const sets = plan.columns.sets
    ? Prisma.sql`,
    sets AS (
      SELECT s."groupSet" AS "gs", s."groupIds" AS "groups" FROM "GroupSet" s
      WHERE s."projectId" = ${projectId} AND s."groupSet" IN (SELECT "gs" FROM rollup_units)
      UNION ALL
      SELECT DISTINCT "gs", "groups" FROM raw_units
    )`
    : Prisma.empty;
  return Prisma.sql`
    rollup_units AS (${rollup}),
    raw_units AS (${raw}),
    units AS (
      SELECT "b", "gs", "name", "profile", "w" FROM rollup_units
      UNION ALL SELECT "b", "gs", "name", "profile", "w" FROM raw_units
    )${sets}`;
}

/**
 * The groups of each set that a series or a UNIQUE_GROUPS count may use: in
 * filter.groupIds and matching groupType/groupProperties when given. `key` is
 * the series key for group breakdowns.
 */
function setGroupsCte(projectId: string, q: Question): Prisma.Sql {
  const key =
    q.breakdown === 'GROUP_TYPE'
      ? Prisma.sql`grp."type"`
      : q.breakdown === 'GROUP_PROPERTY'
        ? Prisma.sql`grp."properties" ->> ${q.property}`
        : Prisma.sql`g."id"`;
  const conditions: Prisma.Sql[] = [];
  if (q.filter.groupIds?.length) conditions.push(Prisma.sql`g."id" = ANY(${[...q.filter.groupIds]}::text[])`);
  const groups = groupCondition(q.filter, 'grp');
  // A deleted group has no type or properties: it matches no group condition (not even EXISTS false).
  if (groups) conditions.push(Prisma.sql`grp."id" IS NOT NULL`, groups);
  return Prisma.sql`
    set_groups AS (
      SELECT s."gs", g."id" AS "gid", ${key} AS "key"
      FROM sets s CROSS JOIN LATERAL unnest(s."groups") AS g("id")
      LEFT JOIN "Group" grp ON grp."projectId" = ${projectId} AND grp."id" = g."id"
      ${conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty}
    )`;
}

/**
 * `cells`: per base bucket and series key, either the event count (`v`, EVENTS)
 * or the distinct entities (`entity`: profile or group id).
 */
function cellsCte(q: Question): { sql: Prisma.Sql; additive: boolean } {
  const unitKey = q.breakdown === 'EVENT_NAME' ? Prisma.sql`u."name"` : Prisma.sql`NULL::text`;
  if (q.metric === 'UNIQUE_GROUPS') {
    const key = isGroupBreakdown(q.breakdown) ? Prisma.sql`sg."key"` : unitKey;
    return {
      additive: false,
      sql: Prisma.sql`cells AS (
        SELECT DISTINCT u."b", ${key} AS "key", sg."gid" AS "entity" FROM units u JOIN set_groups sg ON sg."gs" = u."gs")`,
    };
  }
  // An event counts once in each series its groups give it (distinct keys), and
  // in the null series when they give it none (no groups, or no value).
  const from = isGroupBreakdown(q.breakdown)
    ? Prisma.sql`units u JOIN (
        SELECT DISTINCT "gs", "key" FROM set_groups WHERE "key" IS NOT NULL
        UNION ALL
        SELECT s."gs", NULL FROM sets s
        WHERE NOT EXISTS (SELECT 1 FROM set_groups sg WHERE sg."gs" = s."gs" AND sg."key" IS NOT NULL)
      ) sk ON sk."gs" = u."gs"`
    : Prisma.sql`units u`;
  const key = isGroupBreakdown(q.breakdown) ? Prisma.sql`sk."key"` : unitKey;
  if (q.metric === 'EVENTS') {
    return {
      additive: true,
      sql: Prisma.sql`cells AS (SELECT u."b", ${key} AS "key", sum(u."w") AS "v" FROM ${from} GROUP BY 1, 2)`,
    };
  }
  return {
    additive: false,
    sql: Prisma.sql`cells AS (SELECT DISTINCT u."b", ${key} AS "key", u."profile" AS "entity" FROM ${from} WHERE u."profile" IS NOT NULL)`,
  };
}

/** Whether a cell's key is one of the top series (null-safe). */
const inTop = Prisma.sql`(c."key" IN (SELECT "key" FROM top WHERE "key" IS NOT NULL)
  OR (c."key" IS NULL AND EXISTS (SELECT 1 FROM top WHERE "key" IS NULL)))`;

/** Totals per key, the top `limit` keys (total desc, then key in byte order), and their points. */
function measureSql(projectId: string, plan: Plan, additive: boolean): Prisma.Sql {
  const q = plan.question;
  const total = additive ? Prisma.sql`sum(c."v")` : Prisma.sql`count(DISTINCT c."entity")`;
  const label =
    q.breakdown === 'GROUP'
      ? Prisma.sql`(SELECT lg."name" FROM "Group" lg WHERE lg."projectId" = ${projectId} AND lg."id" = t."key")`
      : Prisma.sql`NULL::text`;
  const points =
    plan.window === 1
      ? Prisma.sql`SELECT c."key", c."b" AS "i", ${additive ? Prisma.sql`sum(c."v")` : Prisma.sql`count(*)`} AS "v"
          FROM cells c WHERE ${inTop} GROUP BY 1, 2`
      : Prisma.sql`SELECT c."key", o."i"::int AS "i", ${total} AS "v"
          FROM unnest(${plan.outputs}::int[]) WITH ORDINALITY AS o("base", "i")
          JOIN cells c ON c."b" BETWEEN o."base" - ${plan.window - 1}::int AND o."base"
          WHERE ${inTop} GROUP BY 1, 2`;
  return Prisma.sql`
    totals AS (SELECT c."key", ${total} AS "total" FROM cells c GROUP BY 1),
    top AS (SELECT "key", "total" FROM totals ORDER BY "total" DESC, "key" COLLATE "C" ASC NULLS LAST LIMIT ${q.limit}),
    points AS (${points})
    SELECT t."key", t."total"::float8 AS "total", ${label} AS "label", NULL::int AS "i", NULL::float8 AS "v" FROM top t
    UNION ALL
    SELECT p."key", NULL, NULL, p."i", p."v"::float8 FROM points p`;
}

/** The statement answering a planned question: rows of AggregationRow. */
export function aggregationSql(projectId: string, plan: Plan): Prisma.Sql {
  const cells = cellsCte(plan.question);
  return Prisma.sql`
      WITH ${unitsCtes(projectId, plan)},
      ${plan.columns.sets ? Prisma.sql`${setGroupsCte(projectId, plan.question)},` : Prisma.empty}
      ${cells.sql},
      ${measureSql(projectId, plan, cells.additive)}`;
}
