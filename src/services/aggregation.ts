import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { ValidationError } from './errors.ts';
import { hasGroupConditions, hasPropertyFilters, validateEventFilter, type EventFilter } from './analysis/filter.ts';
import { eventFilterSql, groupCondition } from './analysis/filterSql.ts';
import { requireId, requireIdList, requireName } from './limits.ts';

/** Group.stats: most event names a group's topEvents can list. */
export const MAX_TOP_EVENTS = 50;

export interface TimeRange {
  from?: Date | null;
  to?: Date | null;
}

export interface GroupStats {
  eventCount: number;
  uniqueProfiles: number;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  topEvents: { name: string; count: number }[];
}

/*
 * eventAggregation: events, unique profiles or unique groups per time bucket,
 * optionally broken down by group, group type, group property or event name.
 *
 * How a question is answered (README "How it works"):
 *  1. Buckets are generated in PostgreSQL in the requested time zone (local
 *     date_trunc + generate_series, so days are 23 or 25 hours across DST).
 *  2. Events are read as "units" (b = bucket, gs = group set, name, profile,
 *     w = how many events), collapsed to the columns the question needs, from
 *     the cheapest exact source:
 *       rollup      – hourly rollups per group set for every whole UTC hour of the
 *                     range, plus the raw events of the hours a bucket boundary
 *                     cuts (half-hour zones, from/to inside an hour);
 *       eventGroups – the EventGroup index, for a few groups with event-property filters;
 *       events      – the raw events, for what no rollup holds (event-property
 *                     filters, or event names together with profiles).
 *  3. Units are counted per series key by joining their group set's groups, so an
 *     event with two groups counts once in each group's series and once in totals.
 */

export const AGGREGATION_METRICS = ['EVENTS', 'UNIQUE_PROFILES', 'UNIQUE_GROUPS'] as const;
export const AGGREGATION_INTERVALS = ['HOUR', 'DAY', 'WEEK', 'MONTH'] as const;
export const AGGREGATION_BREAKDOWNS = ['GROUP', 'GROUP_TYPE', 'GROUP_PROPERTY', 'EVENT_NAME'] as const;

export type AggregationMetric = (typeof AGGREGATION_METRICS)[number];
export type AggregationInterval = (typeof AGGREGATION_INTERVALS)[number];
export type AggregationBreakdown = (typeof AGGREGATION_BREAKDOWNS)[number];
export type AggregationSource = 'rollup' | 'eventGroups' | 'events';

export const AGGREGATION_LIMITS = {
  /** Buckets per series (HOUR: about 125 days). */
  maxBuckets: 3000,
  /** Series × buckets in one answer. */
  maxPoints: 100_000,
  maxSeries: 100,
  defaultSeries: 10,
  maxRollingDays: 365,
} as const;

export interface AggregationInput {
  metric: AggregationMetric;
  /** Inclusive; default: 30 days before `to`. */
  from?: Date | null;
  /** Exclusive; default: now. */
  to?: Date | null;
  /** Omitted: one bucket, the totals over [from, to). */
  interval?: AggregationInterval | null;
  /** IANA name; default UTC. */
  timezone?: string | null;
  breakdown?: AggregationBreakdown | null;
  /** The group property of a GROUP_PROPERTY breakdown. */
  breakdownProperty?: string | null;
  filter?: EventFilter | null;
  /** Top series by total. */
  limit?: number | null;
  /** DAY only: each point counts the trailing N local days ending with its day. */
  rollingDays?: number | null;
}

export interface AggregationPoint {
  bucket: Date;
  value: number;
}

export interface AggregationSeries {
  /** Group id, group type, property value or event name; null for the series without one. */
  key: string | null;
  label: string;
  total: number;
  points: AggregationPoint[];
}

export interface AggregationResult {
  series: AggregationSeries[];
  buckets: Date[];
  /** Which storage answered (tests check the fast paths are taken). */
  source: AggregationSource;
  /** Rollup source: hours a bucket boundary cuts, read from the raw events instead. */
  cutHours: number;
}

export interface ActivityPoint {
  bucket: Date;
  events: number;
  uniqueProfiles: number;
}

export interface MemberGrowthPoint {
  bucket: Date;
  /** Members at the end of the bucket (or at `to` for the last one). */
  members: number;
  /** Memberships opened in the bucket. */
  joined: number;
  /** Memberships ended in the bucket. */
  left: number;
}

export interface GroupRangeInput {
  from?: Date | null;
  to?: Date | null;
  interval?: AggregationInterval | null;
  timezone?: string | null;
}

/** A validated question. */
interface Query {
  metric: AggregationMetric;
  from: Date;
  to: Date;
  interval: AggregationInterval | null;
  timezone: string;
  breakdown: AggregationBreakdown | null;
  property: string | null;
  filter: EventFilter;
  limit: number;
  rolling: number;
}

/**
 * Buckets as PostgreSQL sees them. Units are assigned to "base" buckets by
 * width_bucket over `starts`; each output point covers the base buckets
 * (window - 1 .. 0) before its own (`outputs`, 1-based).
 */
interface Plan {
  starts: Date[];
  outputs: number[];
  labels: Date[];
  window: number;
  /** Events considered: [rangeStart, rangeEnd). */
  rangeStart: Date;
  rangeEnd: Date;
  /** Base-bucket boundaries inside the range, plus its ends: where hours get cut. */
  boundaries: Date[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const UNIT_MS: Record<AggregationInterval, number> = {
  HOUR: HOUR_MS,
  DAY: DAY_MS,
  WEEK: 7 * DAY_MS,
  MONTH: 28 * DAY_MS,
};

const validDate = (value: Date | null | undefined): value is Date =>
  value instanceof Date && !Number.isNaN(value.getTime());

function oneOf<T extends string>(value: T | null | undefined, allowed: readonly T[], field: string): T | null {
  if (value == null) return null;
  if (!allowed.includes(value)) throw new ValidationError(field, `must be one of ${allowed.join(', ')}`);
  return value;
}

/** `prefix` is the path of the object holding from/to ('' for field arguments). */
function checkRange(
  from: Date | null | undefined,
  to: Date | null | undefined,
  prefix: string,
): { from: Date; to: Date } {
  if (!validDate(from)) throw new ValidationError(`${prefix}from`, 'is required and must be a valid date-time');
  if (!validDate(to)) throw new ValidationError(`${prefix}to`, 'is required and must be a valid date-time');
  if (to.getTime() <= from.getTime()) throw new ValidationError(`${prefix}to`, 'must be after from');
  return { from, to };
}

/** Rough bucket count, checked before PostgreSQL generates anything. */
function checkBuckets(
  interval: AggregationInterval | null,
  from: Date,
  to: Date,
  extraDays: number,
  field: string,
): number {
  if (!interval) return 1;
  const estimate = Math.ceil((to.getTime() - from.getTime() + extraDays * DAY_MS) / UNIT_MS[interval]) + 2;
  if (estimate > AGGREGATION_LIMITS.maxBuckets) {
    throw new ValidationError(
      field,
      `${interval} over this range makes about ${estimate} buckets; at most ${AGGREGATION_LIMITS.maxBuckets} are allowed — choose a coarser interval or a shorter range`,
    );
  }
  return estimate;
}

/** `prefix` is where the fields sit in the request: 'input.' for eventAggregation, '' for field arguments. */
function validateQuery(input: AggregationInput, prefix: string, now: Date): Query {
  const metric = oneOf(input.metric, AGGREGATION_METRICS, `${prefix}metric`);
  if (!metric) throw new ValidationError(`${prefix}metric`, 'is required');
  const range = defaultRange(input, now);
  const { from, to } = checkRange(range.from, range.to, prefix);
  const interval = oneOf(input.interval, AGGREGATION_INTERVALS, `${prefix}interval`);
  const breakdown = oneOf(input.breakdown, AGGREGATION_BREAKDOWNS, `${prefix}breakdown`);
  let property: string | null = null;
  if (breakdown === 'GROUP_PROPERTY') {
    if (input.breakdownProperty == null)
      throw new ValidationError(`${prefix}breakdownProperty`, 'is required with breakdown GROUP_PROPERTY');
    property = requireName(input.breakdownProperty, `${prefix}breakdownProperty`);
  } else if (input.breakdownProperty != null) {
    throw new ValidationError(`${prefix}breakdownProperty`, 'is only used with breakdown GROUP_PROPERTY');
  }
  const limit = input.limit ?? AGGREGATION_LIMITS.defaultSeries;
  if (!Number.isInteger(limit) || limit < 1 || limit > AGGREGATION_LIMITS.maxSeries) {
    throw new ValidationError(`${prefix}limit`, `must be between 1 and ${AGGREGATION_LIMITS.maxSeries}`);
  }
  const rolling = input.rollingDays ?? 1;
  if (input.rollingDays != null) {
    if (interval !== 'DAY') throw new ValidationError(`${prefix}rollingDays`, 'needs interval DAY');
    if (!Number.isInteger(rolling) || rolling < 1 || rolling > AGGREGATION_LIMITS.maxRollingDays) {
      throw new ValidationError(`${prefix}rollingDays`, `must be between 1 and ${AGGREGATION_LIMITS.maxRollingDays}`);
    }
  }
  const buckets = checkBuckets(interval, from, to, rolling - 1, `${prefix}interval`);
  if (breakdown && buckets * limit > AGGREGATION_LIMITS.maxPoints) {
    throw new ValidationError(
      `${prefix}limit`,
      `${limit} series × ${buckets} buckets is more than ${AGGREGATION_LIMITS.maxPoints} points`,
    );
  }
  const filter = validateEventFilter(input.filter ?? null, `${prefix}filter`);
  return {
    metric,
    from,
    to,
    interval,
    timezone: input.timezone ?? 'UTC',
    breakdown,
    property,
    filter,
    limit,
    rolling,
  };
}

const maxDate = (a: Date, b: Date | null | undefined) => (b && b.getTime() > a.getTime() ? b : a);
const minDate = (a: Date, b: Date | null | undefined) => (b && b.getTime() < a.getTime() ? b : a);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const floorHour = (ms: number) => ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);

const isGroupBreakdown = (b: AggregationBreakdown | null) =>
  b === 'GROUP' || b === 'GROUP_TYPE' || b === 'GROUP_PROPERTY';

type RollupTable = 'RollupHour' | 'RollupHourProfile' | 'RollupHourName';

/** The rollup that holds every dimension the question needs, or null when none does. */
function rollupTable(q: Query): RollupTable | null {
  if (hasPropertyFilters(q.filter)) return null;
  const names = (q.filter.eventNames?.length ?? 0) > 0 || q.breakdown === 'EVENT_NAME';
  const profiles = q.filter.profileId != null || q.metric === 'UNIQUE_PROFILES';
  if (names && profiles) return null;
  if (names) return 'RollupHourName';
  if (profiles) return 'RollupHourProfile';
  return 'RollupHour';
}

/** EventGroup answers exactly when the events are chosen by group id alone. */
const eventGroupsFit = (q: Query) => (q.filter.groupIds?.length ?? 0) > 0 && !hasGroupConditions(q.filter);

function chooseSource(q: Query, forced?: AggregationSource): AggregationSource {
  if (forced === 'rollup' && !rollupTable(q)) throw new Error('no rollup holds the dimensions of this question');
  if (forced === 'eventGroups' && !eventGroupsFit(q)) throw new Error('EventGroup cannot answer this question');
  if (forced) return forced;
  if (rollupTable(q)) return 'rollup';
  return eventGroupsFit(q) ? 'eventGroups' : 'events';
}

/**
 * The unit columns a question needs. The others are NULL, so units collapse to
 * one row per bucket and needed value before anything is joined.
 */
interface Dims {
  /** Group set (gs) and, for raw units, its groups: group breakdowns and UNIQUE_GROUPS. */
  sets: boolean;
  name: boolean;
  profile: boolean;
}

function dimsOf(q: Query): Dims {
  return {
    sets: q.metric === 'UNIQUE_GROUPS' || isGroupBreakdown(q.breakdown),
    name: q.breakdown === 'EVENT_NAME',
    profile: q.metric === 'UNIQUE_PROFILES',
  };
}

/** Collapses unit rows (b, gs, groups, name, profile, w) to the columns in `dims`. */
function collapse(rows: Prisma.Sql, dims: Dims): Prisma.Sql {
  const pick = (needed: boolean, column: string, type: string) =>
    Prisma.raw(needed ? `x."${column}"` : `NULL::${type}`);
  return Prisma.sql`
    SELECT x."b", ${pick(dims.sets, 'gs', 'text')} AS "gs", ${pick(dims.sets, 'groups', 'text[]')} AS "groups",
           ${pick(dims.name, 'name', 'text')} AS "name", ${pick(dims.profile, 'profile', 'text')} AS "profile", sum(x."w")::bigint AS "w"
    FROM (${rows}) x
    GROUP BY 1, 2, 3, 4, 5`;
}

const EMPTY_UNITS = Prisma.sql`SELECT NULL::int AS "b", NULL::text AS "gs", NULL::text[] AS "groups", NULL::text AS "name", NULL::text AS "profile", 0::bigint AS "w" WHERE false`;

/** Rollup rows of the whole, uncut hours of the range. */
function rollupUnits(projectId: string, q: Query, plan: Plan, split: Date[]): Prisma.Sql {
  const table = rollupTable(q)!;
  const starts = iso(plan.starts);
  const hourFrom = new Date(floorHour(plan.rangeStart.getTime()));
  const hourTo = new Date(floorHour(plan.rangeEnd.getTime() - 1) + HOUR_MS);
  const conditions: Prisma.Sql[] = [
    Prisma.sql`r."projectId" = ${projectId}`,
    Prisma.sql`r."hour" >= ${hourFrom}`,
    Prisma.sql`r."hour" < ${hourTo}`,
  ];
  if (split.length) conditions.push(Prisma.sql`NOT (r."hour" = ANY(${iso(split)}::timestamptz[]))`);
  const f = q.filter;
  if (f.eventNames?.length) conditions.push(Prisma.sql`r."name" = ANY(${[...f.eventNames]}::text[])`);
  if (f.profileId != null) conditions.push(Prisma.sql`r."profileId" = ${f.profileId}`);
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
    dimsOf(q),
  );
}

/** Raw events, all of the range or only the cut hours (`split`). */
function eventUnits(projectId: string, q: Query, plan: Plan, split?: Date[]): Prisma.Sql {
  const starts = iso(plan.starts);
  const events = Prisma.sql`
    SELECT e.* FROM "Event" e
    WHERE e."projectId" = ${projectId} AND e."createdAt" >= ${plan.rangeStart} AND e."createdAt" < ${plan.rangeEnd}
      ${split ? Prisma.sql`AND e."createdAt" >= h."hour" AND e."createdAt" < h."hour" + interval '1 hour'` : Prisma.empty}
      AND ${eventFilterSql(projectId, q.filter, 'e')}
    ${split ? Prisma.sql`OFFSET 0` : Prisma.empty}`;
  // LATERAL (kept apart by OFFSET 0): one index range per cut hour, whatever the planner guesses about the list.
  const from = split
    ? Prisma.sql`unnest(${iso(split)}::timestamptz[]) AS h("hour") CROSS JOIN LATERAL (${events}) e`
    : Prisma.sql`(${events}) e`;
  return collapse(
    Prisma.sql`
      SELECT width_bucket(e."createdAt", ${starts}::timestamptz[]) AS "b", 'e' || e."groupIds"::text AS "gs", e."groupIds" AS "groups",
             e."name", e."profileId" AS "profile", 1 AS "w"
      FROM ${from}`,
    dimsOf(q),
  );
}

/** One unit per event tagged with one of the filter's groups; its groups are those of them it carries. */
function eventGroupUnits(projectId: string, q: Query, plan: Plan): Prisma.Sql {
  const f = q.filter;
  const starts = iso(plan.starts);
  const conditions: Prisma.Sql[] = [
    Prisma.sql`eg."projectId" = ${projectId}`,
    Prisma.sql`eg."groupId" = ANY(${[...f.groupIds!]}::text[])`,
    Prisma.sql`eg."createdAt" >= ${plan.rangeStart}`,
    Prisma.sql`eg."createdAt" < ${plan.rangeEnd}`,
  ];
  if (f.eventNames?.length) conditions.push(Prisma.sql`eg."name" = ANY(${[...f.eventNames]}::text[])`);
  if (f.profileId != null) conditions.push(Prisma.sql`eg."profileId" = ${f.profileId}`);
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
    dimsOf(q),
  );
}

/** The hours a boundary cuts: the rollup cannot split them, the raw events can. */
function splitHours(plan: Plan): Date[] {
  const hours = new Set<number>();
  for (const boundary of plan.boundaries) {
    const ms = boundary.getTime();
    if (ms % HOUR_MS !== 0) hours.add(floorHour(ms));
  }
  return [...hours].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/** The units of every source, as the `rollup_units`, `raw_units` and `units` CTEs, and their `sets` when needed. */
function unitsCtes(projectId: string, q: Query, plan: Plan, source: AggregationSource, split: Date[]): Prisma.Sql {
  let rollup = EMPTY_UNITS;
  let raw = EMPTY_UNITS;
  if (plan.rangeStart.getTime() < plan.rangeEnd.getTime()) {
    if (source === 'rollup') {
      rollup = rollupUnits(projectId, q, plan, split);
      if (split.length) raw = eventUnits(projectId, q, plan, split);
    } else if (source === 'eventGroups') {
      raw = eventGroupUnits(projectId, q, plan);
    } else {
      raw = eventUnits(projectId, q, plan);
    }
  }
  const sets = dimsOf(q).sets
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
function setGroupsCte(projectId: string, q: Query): Prisma.Sql {
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
function cellsCte(q: Query): { sql: Prisma.Sql; additive: boolean } {
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
function measureSql(projectId: string, q: Query, plan: Plan, additive: boolean): Prisma.Sql {
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

interface Row {
  key: string | null;
  total: number | null;
  label: string | null;
  i: number | null;
  v: number | null;
}

const METRIC_LABELS: Record<AggregationMetric, string> = {
  EVENTS: 'Events',
  UNIQUE_PROFILES: 'Unique profiles',
  UNIQUE_GROUPS: 'Unique groups',
};

function seriesLabel(q: Query, key: string | null, name: string | null): string {
  switch (q.breakdown) {
    case null:
      return METRIC_LABELS[q.metric];
    case 'GROUP':
      return key === null ? '(no group)' : (name ?? key);
    case 'GROUP_TYPE':
      return key ?? '(no type)';
    case 'GROUP_PROPERTY':
      return key ?? '(not set)';
    case 'EVENT_NAME':
      return key ?? '(none)';
  }
}

/** Rows → series in total order, every bucket present. Points are indexed by base bucket (window 1) or output (rolling). */
function assemble(q: Query, plan: Plan, rows: Row[]): AggregationSeries[] {
  const series: AggregationSeries[] = [];
  const byKey = new Map<string | null, Map<number, number>>();
  for (const row of rows) {
    if (row.i === null) {
      series.push({ key: row.key, label: seriesLabel(q, row.key, row.label), total: row.total ?? 0, points: [] });
      byKey.set(row.key, new Map());
    }
  }
  for (const row of rows) if (row.i !== null) byKey.get(row.key)?.set(row.i, row.v ?? 0);
  const ordinalOf = plan.window === 1 ? (i: number) => plan.outputs[i]! : (i: number) => i + 1;
  for (const s of series) {
    const values = byKey.get(s.key)!;
    s.points = plan.labels.map((bucket, i) => ({ bucket, value: values.get(ordinalOf(i)) ?? 0 }));
  }
  series.sort((a, b) => b.total - a.total || compareKeys(a.key, b.key));
  if (series.length === 0 && q.breakdown === null) {
    series.push({
      key: null,
      label: seriesLabel(q, null, null),
      total: 0,
      points: plan.labels.map((bucket) => ({ bucket, value: 0 })),
    });
  }
  return series;
}

/** Byte order of UTF-8 (PostgreSQL's "C" collation), nulls last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class AggregationService {
  private timezones?: Promise<Set<string>>;

  constructor(private readonly prisma: PrismaClient) {}

  /** eventAggregation. `options.source` forces a storage path (tests compare them). */
  async aggregate(
    projectId: string,
    input: AggregationInput,
    options: { source?: AggregationSource; now?: Date } = {},
  ): Promise<AggregationResult> {
    return this.run(projectId, input, 'input.', options.source, options.now);
  }

  private async run(
    projectId: string,
    input: AggregationInput,
    prefix: string,
    forced?: AggregationSource,
    now = new Date(),
  ): Promise<AggregationResult> {
    const q = validateQuery(input, prefix, now);
    await this.checkTimezone(q.timezone, `${prefix}timezone`);
    const plan = await this.plan(q);
    const source = chooseSource(q, forced);
    const split = source === 'rollup' ? splitHours(plan) : [];
    const cells = cellsCte(q);
    const [, rows] = await this.prisma.$transaction([
      // The planner's pessimistic estimates for these CTE pipelines would otherwise
      // make PostgreSQL spend longer JIT-compiling than the query takes to run.
      this.prisma.$executeRaw`SET LOCAL jit = off`,
      this.prisma.$queryRaw<Row[]>`
      WITH ${unitsCtes(projectId, q, plan, source, split)},
      ${dimsOf(q).sets ? Prisma.sql`${setGroupsCte(projectId, q)},` : Prisma.empty}
      ${cells.sql},
      ${measureSql(projectId, q, plan, cells.additive)}`,
    ]);
    return { series: assemble(q, plan, rows), buckets: plan.labels, source, cutHours: split.length };
  }

  /** The metric over the whole range without breakdown: an event with two groups counts once. */
  async total(projectId: string, input: AggregationInput): Promise<number> {
    const result = await this.aggregate(projectId, {
      ...input,
      interval: null,
      breakdown: null,
      breakdownProperty: null,
      rollingDays: null,
      limit: 1,
    });
    return result.series[0]?.total ?? 0;
  }

  /** Events and unique profiles of one group per bucket (the group page's activity chart). */
  async activity(
    projectId: string,
    groupId: string,
    range: GroupRangeInput,
    now = new Date(),
  ): Promise<ActivityPoint[]> {
    requireId(groupId, 'id');
    const base = { ...range, interval: range.interval ?? 'DAY', filter: { groupIds: [groupId] } };
    const [events, profiles] = await Promise.all([
      this.run(projectId, { ...base, metric: 'EVENTS' }, '', undefined, now),
      this.run(projectId, { ...base, metric: 'UNIQUE_PROFILES' }, '', undefined, now),
    ]);
    const uniques = profiles.series[0]!.points;
    return events.series[0]!.points.map((p, i) => ({
      bucket: p.bucket,
      events: p.value,
      uniqueProfiles: uniques[i]!.value,
    }));
  }

  /** Members of one group over time, from membership history (joinedAt/leftAt rows). */
  async memberGrowth(
    projectId: string,
    groupId: string,
    range: GroupRangeInput,
    now = new Date(),
  ): Promise<MemberGrowthPoint[]> {
    requireId(groupId, 'id');
    const range30 = defaultRange(range, now);
    const { from, to } = checkRange(range30.from, range30.to, '');
    const interval = oneOf(range.interval ?? 'DAY', AGGREGATION_INTERVALS, 'interval')!;
    const timezone = range.timezone ?? 'UTC';
    checkBuckets(interval, from, to, 0, 'interval');
    await this.checkTimezone(timezone, 'timezone');
    const starts = await this.boundaries(interval, timezone, from, to, 0);
    const ends = starts.slice(1);
    const labels = starts.slice(0, -1);
    // Each bucket is clipped to [from, to); members are counted at its end.
    const clippedStarts = labels.map((s) => maxDate(s, from));
    const clippedEnds = ends.map((e) => minDate(e, to));
    const rows = await this.prisma.$queryRaw<{ i: number; members: number; joined: number; left: number }[]>`
      WITH buckets AS (
        SELECT b."i"::int AS "i", b."start", b."end"
        FROM unnest(${iso(clippedStarts)}::timestamptz[], ${iso(clippedEnds)}::timestamptz[]) WITH ORDINALITY AS b("start", "end", "i")
      )
      SELECT b."i",
        count(DISTINCT m."profileId") FILTER (WHERE m."leftAt" IS NULL OR m."leftAt" >= b."end")::int AS "members",
        count(*) FILTER (WHERE m."joinedAt" >= b."start")::int AS "joined",
        (SELECT count(*) FROM "GroupMembership" l
          WHERE l."projectId" = ${projectId} AND l."groupId" = ${groupId}
            AND l."leftAt" >= b."start" AND l."leftAt" < b."end")::int AS "left"
      FROM buckets b
      LEFT JOIN "GroupMembership" m ON m."projectId" = ${projectId} AND m."groupId" = ${groupId} AND m."joinedAt" < b."end"
      GROUP BY b."i", b."start", b."end"
      ORDER BY b."i"`;
    return rows.map((r, i) => ({ bucket: labels[i]!, members: r.members, joined: r.joined, left: r.left }));
  }

  /**
   * Group.stats for many groups in one statement, from the same storage as
   * eventAggregation: whole UTC hours of [from, to) from the rollups of the sets
   * containing each group, the cut hours at the ends from EventGroup, first/last
   * seen from EventGroup's (group, time) index. Missing bounds mean all time.
   */
  async groupStats(
    projectId: string,
    groupIds: readonly string[],
    range: TimeRange = {},
  ): Promise<Map<string, GroupStats>> {
    const ids = requireIdList(groupIds, 'ids');
    const result = new Map<string, GroupStats>(
      ids.map((id) => [id, { eventCount: 0, uniqueProfiles: 0, firstSeenAt: null, lastSeenAt: null, topEvents: [] }]),
    );
    const from = range.from ?? null;
    const to = range.to ?? null;
    if (ids.length === 0 || (from && to && to.getTime() <= from.getTime())) return result;
    // Whole hours [hourFrom, hourTo); the rest of [from, to) is edges.
    const hourFrom = from ? new Date(floorHour(from.getTime() - 1) + HOUR_MS) : null;
    const hourTo = to ? new Date(floorHour(to.getTime())) : null;
    const noWhole = hourFrom && hourTo && hourTo.getTime() <= hourFrom.getTime();
    const wholeRange = noWhole
      ? Prisma.sql`false`
      : Prisma.sql`${hourFrom ? Prisma.sql`r."hour" >= ${hourFrom}` : Prisma.sql`true`} AND ${hourTo ? Prisma.sql`r."hour" < ${hourTo}` : Prisma.sql`true`}`;
    const inRange = Prisma.sql`${from ? Prisma.sql`eg."createdAt" >= ${from}` : Prisma.sql`true`} AND ${to ? Prisma.sql`eg."createdAt" < ${to}` : Prisma.sql`true`}`;
    const edges = noWhole
      ? inRange
      : Prisma.sql`${inRange} AND (${hourFrom ? Prisma.sql`eg."createdAt" < ${hourFrom}` : Prisma.sql`false`}
          OR ${hourTo ? Prisma.sql`eg."createdAt" >= ${hourTo}` : Prisma.sql`false`})`;
    const rows = await this.prisma.$queryRaw<(GroupStats & { groupId: string })[]>`
      WITH ids AS (SELECT unnest(${ids}::text[]) AS "g"),
      sets AS (
        SELECT s."groupSet", i."g" FROM "GroupSet" s JOIN ids i ON i."g" = ANY(s."groupIds") WHERE s."projectId" = ${projectId}
      ),
      edge_events AS (
        SELECT eg."groupId" AS "g", eg."name", eg."profileId" FROM "EventGroup" eg
        WHERE eg."projectId" = ${projectId} AND eg."groupId" = ANY(${ids}::text[]) AND ${edges}
      ),
      names AS (
        SELECT x."g", x."name", sum(x."n")::int AS "n" FROM (
          SELECT sets."g", r."name", r."events" AS "n" FROM "RollupHourName" r JOIN sets ON sets."groupSet" = r."groupSet"
          WHERE r."projectId" = ${projectId} AND ${wholeRange}
          UNION ALL SELECT "g", "name", 1 FROM edge_events
        ) x GROUP BY 1, 2
      ),
      profiles AS (
        SELECT x."g", count(DISTINCT x."p")::int AS "n" FROM (
          SELECT sets."g", r."profileId" AS "p" FROM "RollupHourProfile" r JOIN sets ON sets."groupSet" = r."groupSet"
          WHERE r."projectId" = ${projectId} AND r."profileId" <> '' AND ${wholeRange}
          UNION ALL SELECT "g", "profileId" FROM edge_events WHERE "profileId" IS NOT NULL
        ) x GROUP BY 1
      ),
      ranked AS (
        SELECT "g", "name", "n", row_number() OVER (PARTITION BY "g" ORDER BY "n" DESC, "name" COLLATE "C") AS "rank" FROM names
      )
      SELECT i."g" AS "groupId",
        COALESCE((SELECT sum("n") FROM names WHERE names."g" = i."g"), 0)::int AS "eventCount",
        COALESCE((SELECT "n" FROM profiles WHERE profiles."g" = i."g"), 0)::int AS "uniqueProfiles",
        (SELECT min(eg."createdAt") FROM "EventGroup" eg WHERE eg."projectId" = ${projectId} AND eg."groupId" = i."g" AND ${inRange}) AS "firstSeenAt",
        (SELECT max(eg."createdAt") FROM "EventGroup" eg WHERE eg."projectId" = ${projectId} AND eg."groupId" = i."g" AND ${inRange}) AS "lastSeenAt",
        COALESCE((SELECT jsonb_agg(jsonb_build_object('name', "name", 'count', "n") ORDER BY "rank") FROM ranked
                  WHERE ranked."g" = i."g" AND "rank" <= ${MAX_TOP_EVENTS}), '[]'::jsonb) AS "topEvents"
      FROM ids i`;
    for (const { groupId, ...stats } of rows) result.set(groupId, stats);
    return result;
  }

  private checkTimezone(timezone: string, field: string): Promise<void> {
    this.timezones ??= this.prisma.$queryRaw<{ name: string }[]>`SELECT "name" FROM pg_timezone_names`
      .then((rows) => new Set(rows.map((r) => r.name)))
      .catch((error: unknown) => {
        this.timezones = undefined;
        throw error;
      });
    return this.timezones.then((names) => {
      if (!names.has(timezone))
        throw new ValidationError(
          field,
          `unknown time zone "${timezone}"; use an IANA name such as "Europe/Berlin" or "UTC"`,
        );
    });
  }

  /**
   * Bucket boundaries in the zone, ascending: every bucket start from the one
   * holding `from` (moved back `lookbackDays` local days), then the end of the
   * last bucket, which is at or after `to`.
   */
  private async boundaries(
    interval: AggregationInterval,
    timezone: string,
    from: Date,
    to: Date,
    lookbackDays: number,
  ): Promise<Date[]> {
    const rows =
      interval === 'HOUR'
        ? // Real hours, also across DST and in half-hour zones: truncating keeps the offset of the instant.
          await this.prisma.$queryRaw<{ b: Date }[]>`
            SELECT DISTINCT date_trunc('hour', x, ${timezone}) AS "b"
            FROM generate_series(date_trunc('hour', ${from}::timestamptz, ${timezone}), ${to}::timestamptz + interval '2 hours', interval '15 minutes') x
            ORDER BY 1`
        : // Local calendar units: stepping local time makes days 23 or 25 hours long across DST.
          await this.prisma.$queryRaw<{ b: Date }[]>`
            SELECT l AT TIME ZONE ${timezone} AS "b"
            FROM generate_series(
              date_trunc(${interval.toLowerCase()}, ${from}::timestamptz AT TIME ZONE ${timezone}) - make_interval(days => ${lookbackDays}::int),
              date_trunc(${interval.toLowerCase()}, (${to}::timestamptz - interval '1 millisecond') AT TIME ZONE ${timezone}) + ${`1 ${interval.toLowerCase()}`}::interval,
              ${`1 ${interval.toLowerCase()}`}::interval) l
            ORDER BY 1`;
    const all = rows.map((r) => r.b);
    const firstAfter = all.findIndex((b) => b.getTime() >= to.getTime());
    return firstAfter === -1 ? all : all.slice(0, firstAfter + 1);
  }

  private async plan(q: Query): Promise<Plan> {
    const rangeEnd = minDate(q.to, q.filter.to);
    if (!q.interval) {
      const rangeStart = maxDate(q.from, q.filter.from);
      return {
        starts: [q.from],
        outputs: [1],
        labels: [q.from],
        window: 1,
        rangeStart,
        rangeEnd,
        boundaries: [rangeStart, rangeEnd],
      };
    }
    const lookback = q.rolling - 1;
    const all = await this.boundaries(q.interval, q.timezone, q.from, q.to, lookback);
    const starts = all.slice(0, -1);
    // Rolling windows are whole local days, also before `from`; plain buckets start at `from`.
    const rangeStart = maxDate(lookback > 0 ? starts[0]! : q.from, q.filter.from);
    const outputs = starts.slice(lookback).map((_, i) => i + lookback + 1);
    const inside = all.filter((b) => b.getTime() > rangeStart.getTime() && b.getTime() < rangeEnd.getTime());
    return {
      starts,
      outputs,
      labels: starts.slice(lookback),
      window: q.rolling,
      rangeStart,
      rangeEnd,
      boundaries: [rangeStart, rangeEnd, ...inside],
    };
  }
}

/** Ranges default to the 30 days before now. */
function defaultRange(range: { from?: Date | null; to?: Date | null }, now: Date): { from: Date; to: Date } {
  const to = range.to ?? now;
  return { from: range.from ?? new Date(to.getTime() - 30 * DAY_MS), to };
}
