import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';

/**
 * The consistency checker: recomputes every row that the ingest statement (and
 * anything else that writes derived state) keeps beside the raw events — the
 * EventGroup index, group sets, hourly rollups, daily activity — from the
 * events of one project, and reports what differs. Tests run it after random,
 * concurrent and interrupted writes; operators run it as `groupgraph check`.
 * See docs/architecture.md, "Precomputed state".
 */

/** One derived table: its recomputation from "Event" and how its rows are keyed. */
interface DerivedTable {
  table: string;
  /** Columns identifying a row. */
  keys: string[];
  /** Columns compared once keys match. */
  values: string[];
  /** SELECT of keys and values computed from the raw events of ${projectId} (the only parameter). */
  expected: (projectId: string) => Prisma.Sql;
  /**
   * Only rows the events need are checked (the table may hold more, e.g. a group
   * set no event uses any more after a backfill moved its events).
   */
  missingOnly?: boolean;
}

const UTC_HOUR = Prisma.raw(`date_trunc('hour', e."createdAt", 'UTC')`);
const UTC_DAY = Prisma.raw(`(e."createdAt" AT TIME ZONE 'UTC')::date`);
const HOUR_BIT = Prisma.raw(`bit_or(1 << extract(hour FROM e."createdAt" AT TIME ZONE 'UTC')::int)`);

const DERIVED: DerivedTable[] = [
  {
    table: 'EventGroup',
    keys: ['groupId', 'createdAt', 'eventId'],
    values: ['name', 'profileId'],
    expected: (projectId) => Prisma.sql`
      SELECT g AS "groupId", e."createdAt", e."id" AS "eventId", e."name", e."profileId"
      FROM "Event" e CROSS JOIN LATERAL unnest(e."groupIds") g WHERE e."projectId" = ${projectId}`,
  },
  {
    table: 'GroupSet',
    keys: ['groupSet'],
    values: ['groupIds'],
    missingOnly: true,
    expected: (projectId) => Prisma.sql`
      SELECT DISTINCT s."groupSet", s."groupIds"
      FROM "Event" e CROSS JOIN LATERAL group_set(e."groupIds") s WHERE e."projectId" = ${projectId}`,
  },
  {
    table: 'RollupHour',
    keys: ['hour', 'groupSet'],
    values: ['events'],
    expected: (projectId) => Prisma.sql`
      SELECT ${UTC_HOUR} AS "hour", s."groupSet", count(*)::int AS "events"
      FROM "Event" e CROSS JOIN LATERAL group_set(e."groupIds") s WHERE e."projectId" = ${projectId} GROUP BY 1, 2`,
  },
  {
    table: 'RollupHourProfile',
    keys: ['hour', 'groupSet', 'profileId'],
    values: ['events'],
    expected: (projectId) => Prisma.sql`
      SELECT ${UTC_HOUR} AS "hour", s."groupSet", COALESCE(e."profileId", '') AS "profileId", count(*)::int AS "events"
      FROM "Event" e CROSS JOIN LATERAL group_set(e."groupIds") s WHERE e."projectId" = ${projectId} GROUP BY 1, 2, 3`,
  },
  {
    table: 'RollupHourName',
    keys: ['hour', 'groupSet', 'name'],
    values: ['events'],
    expected: (projectId) => Prisma.sql`
      SELECT ${UTC_HOUR} AS "hour", s."groupSet", e."name", count(*)::int AS "events"
      FROM "Event" e CROSS JOIN LATERAL group_set(e."groupIds") s WHERE e."projectId" = ${projectId} GROUP BY 1, 2, 3`,
  },
  {
    table: 'GroupActivityDay',
    keys: ['day', 'groupId'],
    values: ['hours', 'events'],
    expected: (projectId) => Prisma.sql`
      SELECT ${UTC_DAY} AS "day", g AS "groupId", ${HOUR_BIT} AS "hours", count(*)::int AS "events"
      FROM "Event" e CROSS JOIN LATERAL unnest(e."groupIds") g WHERE e."projectId" = ${projectId} GROUP BY 1, 2`,
  },
  {
    table: 'ProfileActivityDay',
    keys: ['day', 'profileId'],
    values: ['hours', 'events'],
    expected: (projectId) => Prisma.sql`
      SELECT ${UTC_DAY} AS "day", e."profileId", ${HOUR_BIT} AS "hours", count(*)::int AS "events"
      FROM "Event" e WHERE e."projectId" = ${projectId} AND e."profileId" IS NOT NULL GROUP BY 1, 2`,
  },
];

export interface TableReport {
  table: string;
  /** Rows the events call for that the table lacks. */
  missing: number;
  /** Rows the table holds that no event calls for (counts of zero count as absent). */
  extra: number;
  /** Rows present on both sides with different values. */
  wrong: number;
  /** A few of the differing rows: { expected, actual } with null for an absent side. */
  examples: { expected: unknown; actual: unknown }[];
}

export interface ConsistencyReport {
  projectId: string;
  events: number;
  tables: TableReport[];
  /** True when no table differs. */
  consistent: boolean;
}

const quoted = (columns: string[], alias: string) => columns.map((c) => `${alias}."${c}"`).join(', ');

function compareSql(projectId: string, spec: DerivedTable, examples: number): Prisma.Sql {
  const columns = [...spec.keys, ...spec.values];
  const join = spec.keys.map((k) => `x."${k}" = a."${k}"`).join(' AND ');
  const differs = spec.values.map((v) => `x."${v}" IS DISTINCT FROM a."${v}"`).join(' OR ');
  // A counter that reached zero is no row at all (a backfill may leave one behind).
  const live = spec.values.includes('events') ? Prisma.sql` AND t."events" <> 0` : Prisma.empty;
  return Prisma.sql`
    WITH x AS (${spec.expected(projectId)}),
    a AS (SELECT ${Prisma.raw(quoted(columns, 't'))} FROM ${Prisma.raw(`"${spec.table}"`)} t WHERE t."projectId" = ${projectId}${live}),
    d AS (
      SELECT CASE WHEN x IS NULL THEN 'extra' WHEN a IS NULL THEN 'missing' ELSE 'wrong' END AS "kind",
             CASE WHEN x IS NULL THEN NULL ELSE to_jsonb(x) END AS "expected",
             CASE WHEN a IS NULL THEN NULL ELSE to_jsonb(a) END AS "actual"
      FROM x FULL JOIN a ON ${Prisma.raw(join)}
      WHERE x IS NULL OR a IS NULL OR ${Prisma.raw(differs)}
    )
    SELECT
      count(*) FILTER (WHERE "kind" = 'missing')::int AS "missing",
      ${spec.missingOnly ? Prisma.sql`0` : Prisma.sql`count(*) FILTER (WHERE "kind" = 'extra')::int`} AS "extra",
      count(*) FILTER (WHERE "kind" = 'wrong')::int AS "wrong",
      COALESCE((SELECT jsonb_agg(jsonb_build_object('expected', "expected", 'actual', "actual"))
                FROM (SELECT * FROM d ${spec.missingOnly ? Prisma.sql`WHERE "kind" <> 'extra'` : Prisma.empty} LIMIT ${examples}) s), '[]'::jsonb) AS "examples"
    FROM d`;
}

export class ConsistencyService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Recomputes every derived table of one project from its events. Reads only; heavy on large projects. */
  async check(projectId: string, options: { examples?: number } = {}): Promise<ConsistencyReport> {
    const examples = options.examples ?? 5;
    const [counted] = await this.prisma.$queryRaw<{ events: number }[]>`
      SELECT count(*)::int AS "events" FROM "Event" WHERE "projectId" = ${projectId}`;
    const tables: TableReport[] = [];
    for (const spec of DERIVED) {
      const [row] = await this.prisma.$queryRaw<Omit<TableReport, 'table'>[]>(compareSql(projectId, spec, examples));
      tables.push({ table: spec.table, ...row! });
    }
    return {
      projectId,
      events: counted!.events,
      tables,
      consistent: tables.every((t) => t.missing + t.extra + t.wrong === 0),
    };
  }
}
