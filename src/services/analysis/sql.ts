import { Prisma } from '../../generated/prisma/client.ts';
import { hasGroupConditions, hasPropertyFilters, type EventFilter } from './filter.ts';
import { eventFilterSql, groupCondition, profileCohortCondition } from './filterSql.ts';
import type { ActivityTable, DayPieces, HourSpan, Plan, RollupTable, UnitColumns } from './plan.ts';
import { isGroupBreakdown, timedPropertyKeys, type Question } from './question.ts';
import { periodStartSql, propertiesAtSql, timedBoundsCtes } from './timedProperties.ts';

// The one statement that answers a planned question, composed with Prisma.sql
// (every value a parameter). Its CTEs, in order:
//   rollup_units, raw_units, units – events as "units" (b = base bucket, gs = group
//       set, name, profile, prop = event property of an EVENT_PROPERTY breakdown,
//       w = how many events, ep = start of the unit's period with propertiesAt
//       EVENT_TIME, else NO_PERIOD), from the storage the plan chose (with
//       EVENT_TIME after timed_bounds, timed_set_bounds and timed_epochs);
//   sets, group_at, set_groups – the groups of each unit's set (and period) that
//       may form a series or count;
//   cells            – per base bucket and series key, a count or distinct entities
//                      (base bucket 0: the previous period of compareTo);
//   totals, top, points – the series in the asked order, the page of them
//                      (offset, limit) and their points; one more row counts all series.

/**
 * One row of the answer: a series (i null: key, total, previous, label), one of
 * its points (key, i, v), or the number of series (i = -1, v).
 */
export interface AggregationRow {
  key: string | null;
  total: number | null;
  previous: number | null;
  label: string | null;
  i: number | null;
  v: number | null;
}

/** The `i` of the row carrying the number of series before offset and limit. */
export const SERIES_COUNT_ROW = -1;

/** Dates as ISO strings, to bind as one timestamptz[] parameter. */
export const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

/** The `ep` of every unit when the question uses no timed properties. */
const NO_PERIOD = Prisma.sql`'-infinity'::timestamptz`;

/**
 * The `ep` of a raw unit at `instant`: with EVENT_TIME the start of its period
 * among all bounds of the range (timedProperties.ts); NO_PERIOD otherwise.
 */
function rawPeriodOf(plan: Plan, instant: Prisma.Sql): Prisma.Sql {
  return plan.timed
    ? periodStartSql(Prisma.sql`(SELECT "ats" FROM timed_epochs)`, instant, plan.rangeStart)
    : NO_PERIOD;
}

/**
 * The filter the storage applies to events. With timed group properties the
 * group conditions depend on the event's time: they are applied per set and
 * period (group_at) instead, and only the group type (today's) stays here.
 */
function storageFilter(plan: Plan): EventFilter {
  const f = plan.question.filter;
  return plan.timed ? { ...f, groupProperties: undefined } : f;
}

/** Collapses unit rows (b, gs, groups, name, profile, prop, w, ep) to the columns the question needs. */
function collapse(rows: Prisma.Sql, columns: UnitColumns): Prisma.Sql {
  const pick = (needed: boolean, column: string, type: string) =>
    Prisma.raw(needed ? `x."${column}"` : `NULL::${type}`);
  return Prisma.sql`
    SELECT x."b", ${pick(columns.sets, 'gs', 'text')} AS "gs", ${pick(columns.sets, 'groups', 'text[]')} AS "groups",
           ${pick(columns.name, 'name', 'text')} AS "name", ${pick(columns.profile, 'profile', 'text')} AS "profile",
           ${pick(columns.prop, 'prop', 'text')} AS "prop", sum(x."w")::bigint AS "w", x."ep"
    FROM (${rows}) x
    GROUP BY 1, 2, 3, 4, 5, 6, 8`;
}

const EMPTY_UNITS = Prisma.sql`SELECT NULL::int AS "b", NULL::text AS "gs", NULL::text[] AS "groups", NULL::text AS "name", NULL::text AS "profile", NULL::text AS "prop", 0::bigint AS "w", ${NO_PERIOD} AS "ep" WHERE false`;

/**
 * The base bucket of an instant: 1.. over the plan's starts, and with compareTo
 * 0 for the previous period (before `from`, which a plain width_bucket would put
 * in the first bucket when that starts before `from`).
 */
function bucketOf(plan: Plan, time: Prisma.Sql): Prisma.Sql {
  const bucket = Prisma.sql`width_bucket(${time}, ${iso(plan.starts)}::timestamptz[])`;
  return plan.previousEnd ? Prisma.sql`CASE WHEN ${time} < ${plan.previousEnd} THEN 0 ELSE ${bucket} END` : bucket;
}

/** The event property of an EVENT_PROPERTY breakdown as text (->>: strings unquoted, other JSON as text). */
function propOf(plan: Plan, e: string): Prisma.Sql {
  return plan.columns.prop
    ? Prisma.sql`(${Prisma.raw(`"${e}"`)}."properties" ->> ${plan.question.property})`
    : Prisma.sql`NULL::text`;
}

/** Rollup rows of the hours in `span` except the edge hours. */
function rollupUnits(projectId: string, plan: Plan, table: RollupTable, span: HourSpan, edgeHours: Date[]): Prisma.Sql {
  const q = plan.question;
  const conditions: Prisma.Sql[] = [Prisma.sql`r."projectId" = ${projectId}`];
  if (span.from) conditions.push(Prisma.sql`r."hour" >= ${span.from}`);
  if (span.to) conditions.push(Prisma.sql`r."hour" < ${span.to}`);
  if (edgeHours.length) conditions.push(Prisma.sql`NOT (r."hour" = ANY(${iso(edgeHours)}::timestamptz[]))`);
  const f = storageFilter(plan);
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
  // EVENT_TIME: each row in the period of its set at its hour; hours a bound of the set
  // falls strictly inside are left to the raw events (splitUnits).
  let period = NO_PERIOD;
  let periods = Prisma.empty;
  if (plan.timed) {
    periods = Prisma.sql`LEFT JOIN timed_set_bounds sb ON sb."gs" = r."groupSet"`;
    period = periodStartSql(Prisma.sql`sb."ats"`, Prisma.sql`r."hour"`, plan.rangeStart);
    // (Not an OR with "sb IS NULL": PostgreSQL would guess that keeps 1% of the rows and plan for that.)
    conditions.push(Prisma.sql`NOT (r."hour" = ANY(COALESCE(sb."cut", '{}')))`);
  }
  const name = table === 'RollupHourName' ? Prisma.sql`r."name"` : Prisma.sql`NULL::text`;
  const profile = table === 'RollupHourProfile' ? Prisma.sql`NULLIF(r."profileId", '')` : Prisma.sql`NULL::text`;
  // Only event counts need "events"; distinct counts leave it out, so they read the group-set index alone.
  const weight = q.metric === 'EVENTS' ? Prisma.sql`r."events"` : Prisma.sql`1`;
  return collapse(
    Prisma.sql`
      SELECT ${bucketOf(plan, Prisma.sql`r."hour"`)} AS "b", r."groupSet" AS "gs", NULL::text[] AS "groups",
             ${name} AS "name", ${profile} AS "profile", NULL::text AS "prop", ${weight} AS "w",
             ${period} AS "ep"
      FROM ${Prisma.raw(`"${table}"`)} r ${periods}
      WHERE ${Prisma.join(conditions, ' AND ')}`,
    plan.columns,
  );
}

/**
 * Units from the daily activity of groups or profiles: one per unit and day
 * piece whose hours it was active in. A group unit is its own one-group set
 * ('d' || id), so set_groups applies the group conditions and keys as for any set.
 */
function activityUnits(projectId: string, plan: Plan, table: ActivityTable, pieces: DayPieces): Prisma.Sql {
  const f = plan.question.filter;
  const conditions: Prisma.Sql[] = [];
  let unit: Prisma.Sql;
  if (table === 'GroupActivityDay') {
    unit = Prisma.sql`'d' || a."groupId" AS "gs", ARRAY[a."groupId"] AS "groups", NULL::text AS "profile"`;
    if (f.groupIds?.length) conditions.push(Prisma.sql`a."groupId" = ANY(${[...f.groupIds]}::text[])`);
    const groups = groupCondition(f, 'fg');
    // Early, so groups that cannot count are dropped before anything is collapsed (set_groups checks again).
    if (groups) {
      conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "Group" "fg"
        WHERE "fg"."projectId" = ${projectId} AND "fg"."id" = a."groupId" AND ${groups})`);
    }
  } else {
    unit = Prisma.sql`NULL::text AS "gs", NULL::text[] AS "groups", a."profileId" AS "profile"`;
    if (f.profileId != null) conditions.push(Prisma.sql`a."profileId" = ${f.profileId}`);
  }
  const days = pieces.days.map((d) => d.toISOString().slice(0, 10));
  const dayList = Prisma.sql`unnest(${days}::date[], ${pieces.buckets}::int[], ${pieces.masks}::int[]) AS p("day", "b", "mask")`;
  // Event counts (whole days only, the planner made sure): a group's daily count is its series' count.
  const events = plan.question.metric === 'EVENTS';
  const units = Prisma.sql`
      SELECT p."b", ${unit}, NULL::text AS "name", NULL::text AS "prop", ${events ? Prisma.sql`a."events"` : Prisma.sql`1`} AS "w", ${NO_PERIOD} AS "ep"
      FROM ${dayList}
      JOIN ${Prisma.raw(`"${table}"`)} a ON a."projectId" = ${projectId} AND a."day" = p."day" AND (a."hours" & p."mask") <> 0
      ${conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty}`;
  // Events without groups have no daily group row; unless the filter asks for groups, they are the null series.
  const groupless =
    events && !f.groupIds?.length && !hasGroupConditions(f)
      ? Prisma.sql`
      UNION ALL
      SELECT p."b", '' AS "gs", '{}'::text[] AS "groups", NULL::text AS "profile", NULL::text AS "name", NULL::text AS "prop", r."events" AS "w", ${NO_PERIOD} AS "ep"
      FROM ${dayList}
      JOIN "RollupHour" r ON r."projectId" = ${projectId} AND r."groupSet" = ''
        AND r."hour" >= p."day"::timestamp AT TIME ZONE 'UTC' AND r."hour" < (p."day" + 1)::timestamp AT TIME ZONE 'UTC'`
      : Prisma.empty;
  return collapse(Prisma.sql`${units}${groupless}`, plan.columns);
}

/** Raw events, all of the range or only its edge hours. */
function eventUnits(projectId: string, plan: Plan, edgeHours?: Date[]): Prisma.Sql {
  const events = Prisma.sql`
    SELECT e.* FROM "Event" e
    WHERE e."projectId" = ${projectId} AND e."createdAt" >= ${plan.rangeStart} AND e."createdAt" < ${plan.rangeEnd}
      ${edgeHours ? Prisma.sql`AND e."createdAt" >= h."hour" AND e."createdAt" < h."hour" + interval '1 hour'` : Prisma.empty}
      AND ${eventFilterSql(projectId, storageFilter(plan), 'e')}
    ${edgeHours ? Prisma.sql`OFFSET 0` : Prisma.empty}`;
  // LATERAL (kept apart by OFFSET 0): one index range per edge hour, whatever the planner guesses about the list.
  const from = edgeHours
    ? Prisma.sql`unnest(${iso(edgeHours)}::timestamptz[]) AS h("hour") CROSS JOIN LATERAL (${events}) e`
    : Prisma.sql`(${events}) e`;
  return collapse(
    Prisma.sql`
      SELECT ${bucketOf(plan, Prisma.sql`e."createdAt"`)} AS "b", 'e' || e."groupIds"::text AS "gs", e."groupIds" AS "groups",
             e."name", e."profileId" AS "profile", ${propOf(plan, 'e')} AS "prop", 1 AS "w",
             ${rawPeriodOf(plan, Prisma.sql`e."createdAt"`)} AS "ep"
      FROM ${from}`,
    plan.columns,
  );
}

/**
 * EVENT_TIME on the rollup path: the raw events of the rollup hours (`span`
 * without the edge hours) that a bound of one of their groups falls strictly
 * inside, found through the EventGroup index of those groups. rollupUnits
 * leaves exactly these out: the rows of the sets of those groups in those hours.
 */
function splitUnits(projectId: string, plan: Plan, span: HourSpan, edgeHours: Date[]): Prisma.Sql {
  const hour = Prisma.sql`date_trunc('hour', b."at", 'UTC')`;
  const conditions: Prisma.Sql[] = [Prisma.sql`e."projectId" = ${projectId}`, Prisma.sql`e."id" = ids."eventId"`];
  if (span.from) conditions.push(Prisma.sql`e."createdAt" >= ${span.from}`);
  if (span.to) conditions.push(Prisma.sql`e."createdAt" < ${span.to}`);
  if (edgeHours.length)
    conditions.push(Prisma.sql`NOT (date_trunc('hour', e."createdAt", 'UTC') = ANY(${iso(edgeHours)}::timestamptz[]))`);
  conditions.push(eventFilterSql(projectId, storageFilter(plan), 'e'));
  // The events by key, one lookup each (LATERAL, kept apart by OFFSET 0): guessing
  // many, PostgreSQL would rather scan every event of the range.
  return collapse(
    Prisma.sql`
      SELECT ${bucketOf(plan, Prisma.sql`e."createdAt"`)} AS "b", 'e' || e."groupIds"::text AS "gs", e."groupIds" AS "groups",
             e."name", e."profileId" AS "profile", ${propOf(plan, 'e')} AS "prop", 1 AS "w",
             ${rawPeriodOf(plan, Prisma.sql`e."createdAt"`)} AS "ep"
      FROM (
        SELECT DISTINCT eg."eventId" FROM timed_bounds b
        JOIN "EventGroup" eg ON eg."projectId" = ${projectId} AND eg."groupId" = b."gid"
          AND eg."createdAt" >= ${hour} AND eg."createdAt" < ${hour} + interval '1 hour'
        WHERE b."at" <> ${hour}
      ) ids
      CROSS JOIN LATERAL (SELECT e.* FROM "Event" e WHERE ${Prisma.join(conditions, ' AND ')} OFFSET 0) e`,
    plan.columns,
  );
}

/** One unit per event tagged with one of the filter's groups; its groups are those of them it carries. */
function eventGroupUnits(projectId: string, plan: Plan): Prisma.Sql {
  const f = plan.question.filter;
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
  // Event properties (a filter on them, or the EVENT_PROPERTY breakdown) are on the event row only.
  const join =
    hasPropertyFilters(f) || plan.columns.prop
      ? Prisma.sql`JOIN "Event" e ON e."projectId" = ${projectId} AND e."id" = eg."eventId"
        AND ${eventFilterSql(projectId, { properties: f.properties }, 'e')}`
      : Prisma.empty;
  // One event, one property value: min() only carries it through the GROUP BY.
  const prop = propOf(plan, 'e');
  return collapse(
    Prisma.sql`
      SELECT ${bucketOf(plan, Prisma.sql`eg."createdAt"`)} AS "b",
             'g' || array_agg(eg."groupId" ORDER BY eg."groupId")::text AS "gs", array_agg(eg."groupId" ORDER BY eg."groupId") AS "groups",
             eg."name", eg."profileId" AS "profile", min(${prop}) AS "prop", 1 AS "w",
             ${rawPeriodOf(plan, Prisma.sql`eg."createdAt"`)} AS "ep"
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
      const parts: Prisma.Sql[] = [];
      if (rollupHours) rollup = rollupUnits(projectId, plan, storage.table, rollupHours, edgeHours);
      if (rollupHours && plan.timed) parts.push(splitUnits(projectId, plan, rollupHours, edgeHours));
      if (edgeHours.length) parts.push(eventUnits(projectId, plan, edgeHours));
      if (parts.length) raw = Prisma.join(parts, ' UNION ALL ');
      break;
    }
    case 'activityDays': {
      const parts: Prisma.Sql[] = [];
      if (storage.pieces.days.length) parts.push(activityUnits(projectId, plan, storage.table, storage.pieces));
      if (storage.edgeHours.length) parts.push(eventUnits(projectId, plan, storage.edgeHours));
      if (parts.length) raw = Prisma.join(parts, ' UNION ALL ');
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
  // Sets are looked up per period: with EVENT_TIME a group's properties differ between periods.
  const sets = plan.columns.sets
    ? Prisma.sql`,
    sets AS (
      SELECT s."groupSet" AS "gs", s."groupIds" AS "groups", ru."ep" FROM "GroupSet" s
      JOIN (SELECT DISTINCT "gs", "ep" FROM rollup_units) ru ON ru."gs" = s."groupSet"
      WHERE s."projectId" = ${projectId}
      UNION ALL
      SELECT DISTINCT "gs", "groups", "ep" FROM raw_units
    ),
    ${groupAtCte(projectId, plan)}`
    : Prisma.empty;
  // Timed group conditions choose events here, per set and period (the storage could not).
  const timedGroups = plan.timed ? groupCondition(plan.question.filter, 'ga') : null;
  const keep = timedGroups ? Prisma.sql` WHERE ("gs", "ep") IN (SELECT "gs", "ep" FROM kept)` : Prisma.empty;
  const kept = timedGroups
    ? Prisma.sql`,
    kept AS MATERIALIZED (SELECT DISTINCT ga."gs", ga."ep" FROM group_at ga WHERE ga."id" IS NOT NULL AND ${timedGroups})`
    : Prisma.empty;
  // Materialized with EVENT_TIME: the planner, guessing one row per CTE, would
  // otherwise re-run the units for every group_at row it joins them with.
  const units = plan.timed ? Prisma.sql`units AS MATERIALIZED` : Prisma.sql`units AS`;
  const bounds = plan.timed
    ? Prisma.sql`${timedBoundsCtes(projectId, timedPropertyKeys(plan.question), plan.rangeStart, plan.rangeEnd)},`
    : Prisma.empty;
  return Prisma.sql`${bounds}
    rollup_units AS (${rollup}),
    raw_units AS (${raw})${sets}${kept},
    ${units} (
      SELECT "b", "gs", "name", "profile", "prop", "w", "ep" FROM rollup_units${keep}
      UNION ALL SELECT "b", "gs", "name", "profile", "prop", "w", "ep" FROM raw_units${keep}
    )`;
}

/**
 * `group_at`: each group of each set and period with the attributes group
 * conditions and breakdowns use: its id (null for a deleted group), type and
 * properties — today's, or with EVENT_TIME the values of the keys the question
 * uses at the start of the period (constant through it).
 */
function groupAtCte(projectId: string, plan: Plan): Prisma.Sql {
  const keys = timedPropertyKeys(plan.question);
  const properties = plan.timed
    ? propertiesAtSql(projectId, 'grp', keys, Prisma.sql`s."ep"`)
    : Prisma.sql`grp."properties"`;
  return Prisma.sql`group_at AS (
      SELECT s."gs", s."ep", g."id" AS "gid", grp."id", grp."type", ${properties} AS "properties"
      FROM sets s CROSS JOIN LATERAL unnest(s."groups") AS g("id")
      LEFT JOIN "Group" grp ON grp."projectId" = ${projectId} AND grp."id" = g."id"
    )`;
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
        : Prisma.sql`grp."gid"`;
  const conditions: Prisma.Sql[] = [];
  if (q.filter.groupIds?.length) conditions.push(Prisma.sql`grp."gid" = ANY(${[...q.filter.groupIds]}::text[])`);
  const groups = groupCondition(q.filter, 'grp');
  // A deleted group has no type or properties: it matches no group condition (not even EXISTS false).
  if (groups) conditions.push(Prisma.sql`grp."id" IS NOT NULL`, groups);
  return Prisma.sql`
    set_groups AS (
      SELECT grp."gs", grp."ep", grp."gid", ${key} AS "key"
      FROM group_at grp
      ${conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty}
    )`;
}

/**
 * `cells`: per base bucket and series key, either the event count (`v`, EVENTS)
 * or the distinct entities (`entity`: profile or group id).
 */
/** The series key a unit carries itself (event name, profile, event property); NULL for the others. */
function unitKey(q: Question): Prisma.Sql {
  switch (q.breakdown) {
    case 'EVENT_NAME':
      return Prisma.sql`u."name"`;
    case 'PROFILE':
      return Prisma.sql`u."profile"`;
    case 'EVENT_PROPERTY':
      return Prisma.sql`u."prop"`;
    default:
      return Prisma.sql`NULL::text`;
  }
}

function cellsCte(q: Question): { sql: Prisma.Sql; additive: boolean } {
  const ownKey = unitKey(q);
  if (q.metric === 'UNIQUE_GROUPS') {
    const key = isGroupBreakdown(q.breakdown) ? Prisma.sql`sg."key"` : ownKey;
    return {
      additive: false,
      sql: Prisma.sql`cells AS (
        SELECT DISTINCT u."b", ${key} AS "key", sg."gid" AS "entity" FROM units u JOIN set_groups sg ON sg."gs" = u."gs" AND sg."ep" = u."ep")`,
    };
  }
  // An event counts once in each series its groups give it (distinct keys), and
  // in the null series when they give it none (no groups, or no value).
  const from = isGroupBreakdown(q.breakdown)
    ? Prisma.sql`units u JOIN (
        SELECT DISTINCT "gs", "ep", "key" FROM set_groups WHERE "key" IS NOT NULL
        UNION ALL
        SELECT s."gs", s."ep", NULL FROM sets s
        WHERE NOT EXISTS (SELECT 1 FROM set_groups sg WHERE sg."gs" = s."gs" AND sg."ep" = s."ep" AND sg."key" IS NOT NULL)
      ) sk ON sk."gs" = u."gs" AND sk."ep" = u."ep"`
    : Prisma.sql`units u`;
  const key = isGroupBreakdown(q.breakdown) ? Prisma.sql`sk."key"` : ownKey;
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

/** A series label for people, where the key alone is not one: a group's or a profile's name. */
function labelSql(projectId: string, q: Question): Prisma.Sql {
  switch (q.breakdown) {
    case 'GROUP':
      return Prisma.sql`(SELECT lg."name" FROM "Group" lg WHERE lg."projectId" = ${projectId} AND lg."id" = t."key")`;
    case 'PROFILE':
      return Prisma.sql`(SELECT COALESCE(NULLIF(concat_ws(' ', lp."firstName", lp."lastName"), ''), lp."email")
        FROM "Profile" lp WHERE lp."projectId" = ${projectId} AND lp."id" = t."key")`;
    default:
      return Prisma.sql`NULL::text`;
  }
}

/**
 * What the series are ranked by. The change is computed in float8 as
 * (total - previous) * 100 / previous, the same operations in the same order as
 * assemble.ts, so the ranking and the reported changePercent agree exactly;
 * no previous total: null, ranked last in either direction.
 */
function rankSql(q: Question): Prisma.Sql {
  return q.orderBy === 'CHANGE_PERCENT'
    ? Prisma.sql`CASE WHEN "previous" = 0 THEN NULL ELSE ("total"::float8 - "previous"::float8) * 100 / "previous"::float8 END`
    : Prisma.sql`"total"`;
}

/**
 * Totals per key (and previous totals with compareTo), the page of series in
 * the asked order (ties: key in byte order), their points, and the number of series.
 */
function measureSql(projectId: string, plan: Plan, additive: boolean): Prisma.Sql {
  const q = plan.question;
  const compare = plan.previousEnd !== null;
  const measure = (where: Prisma.Sql) =>
    additive ? Prisma.sql`COALESCE(sum(c."v") ${where}, 0)` : Prisma.sql`count(DISTINCT c."entity") ${where}`;
  const total = measure(compare ? Prisma.sql`FILTER (WHERE c."b" > 0)` : Prisma.empty);
  const previous = compare ? measure(Prisma.sql`FILTER (WHERE c."b" = 0)`) : Prisma.sql`NULL::bigint`;
  const direction = Prisma.raw(q.order === 'ASC' ? 'ASC' : 'DESC');
  const current = compare ? Prisma.sql`AND c."b" > 0` : Prisma.empty;
  const points =
    plan.window === 1
      ? Prisma.sql`SELECT c."key", c."b" AS "i", ${additive ? Prisma.sql`sum(c."v")` : Prisma.sql`count(*)`} AS "v"
          FROM cells c WHERE ${inTop} ${current} GROUP BY 1, 2`
      : Prisma.sql`SELECT c."key", o."i"::int AS "i", ${measure(Prisma.empty)} AS "v"
          FROM unnest(${plan.outputs}::int[]) WITH ORDINALITY AS o("base", "i")
          JOIN cells c ON c."b" BETWEEN o."base" - ${plan.window - 1}::int AND o."base"
          WHERE ${inTop} GROUP BY 1, 2`;
  return Prisma.sql`
    totals AS (SELECT c."key", ${total} AS "total", ${previous} AS "previous" FROM cells c GROUP BY 1),
    top AS (
      SELECT "key", "total", "previous" FROM totals
      ORDER BY ${rankSql(q)} ${direction} NULLS LAST, "key" COLLATE "C" ASC NULLS LAST
      LIMIT ${q.limit} OFFSET ${q.offset}),
    points AS (${points})
    SELECT t."key", t."total"::float8 AS "total", t."previous"::float8 AS "previous", ${labelSql(projectId, q)} AS "label",
           NULL::int AS "i", NULL::float8 AS "v" FROM top t
    UNION ALL
    SELECT p."key", NULL, NULL, NULL, p."i", p."v"::float8 FROM points p
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, ${SERIES_COUNT_ROW}::int, count(*)::float8 FROM totals`;
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
