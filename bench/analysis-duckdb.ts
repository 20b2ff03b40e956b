/**
 * The DuckDB side of the analysis benchmark: the same events copied into an
 * in-process DuckDB, and the benchmark's four questions answered there in
 * plain SQL, for both units, in the reference's result shape (UTC buckets).
 *
 * - Funnel: three steps with distinct names (so an event matches at most one
 *   step and chains are distinct by construction). For each step-1 event in
 *   range, ASOF JOINs find the earliest step-2 event at or after it and the
 *   earliest step-3 event at or after that: the greedy chain, whose level is how
 *   many of those fall within the window. A unit keeps its best level, from its
 *   earliest step-1 event reaching it.
 * - Retention (weekly, FIRST_TIME, ON, any event), lifecycle (weekly) and
 *   stickiness (daily) work on distinct (unit, bucket) pairs from date_trunc.
 *
 * Buckets are those starting in [from, to), each counted whole, as the service does.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

import type {
  RefFunnel,
  RefFunnelStep,
  RefLifecycle,
  RefRetention,
  RefStickiness,
} from '../test/reference/analysis.ts';

export interface DuckEvent {
  name: string;
  profileId: string | null;
  groupIds: readonly string[];
  createdAt: Date;
}

export interface DuckGroup {
  id: string;
  type: string | null;
}

export type DuckUnit = { unit: 'PROFILE' } | { unit: 'GROUP'; groupType: string };

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** An in-memory database with the two tables; `threads` defaults to DuckDB's own (all cores). */
export async function openDuckDB(options: { threads?: number } = {}): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:', options.threads ? { threads: String(options.threads) } : {});
  const connection = await instance.connect();
  await connection.run(`
    CREATE TABLE events (name VARCHAR NOT NULL, profile_id VARCHAR, group_ids VARCHAR[] NOT NULL, ts TIMESTAMP NOT NULL);
    CREATE TABLE groups (id VARCHAR PRIMARY KEY, type VARCHAR);`);
  return connection;
}

/**
 * Loads events from a CSV file without header, columns: name, profileId (empty:
 * none), groupIds as a JSON array, createdAt in ms since the epoch — what
 * PostgreSQL writes for `COPY (SELECT "name", "profileId", array_to_json("groupIds"),
 * (extract(epoch FROM "createdAt") * 1000)::bigint FROM "Event" …) TO STDOUT (FORMAT csv)`.
 * DuckDB's CSV reader loads ~10× faster than its row appender.
 */
export async function loadEventsCsv(connection: DuckDBConnection, path: string): Promise<void> {
  await connection.run(
    `INSERT INTO events
    SELECT name, profile_id, CAST(group_ids AS JSON)::VARCHAR[], epoch_ms(created_ms)
    FROM read_csv($path, header = false, quote = '"', escape = '"',
      columns = {'name': 'VARCHAR', 'profile_id': 'VARCHAR', 'group_ids': 'VARCHAR', 'created_ms': 'BIGINT'})`,
    { path },
  );
}

/** Events as the CSV `loadEventsCsv` reads (for events that are not in PostgreSQL). */
export function eventsCsv(events: Iterable<DuckEvent>): string {
  const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
  let csv = '';
  for (const e of events) {
    csv += `${quote(e.name)},${e.profileId === null ? '' : quote(e.profileId)},${quote(JSON.stringify(e.groupIds))},${e.createdAt.getTime()}\n`;
  }
  return csv;
}

export async function loadGroups(connection: DuckDBConnection, groups: Iterable<DuckGroup>): Promise<void> {
  const appender = await connection.createAppender('groups');
  for (const g of groups) {
    appender.appendVarchar(g.id);
    if (g.type === null) appender.appendNull();
    else appender.appendVarchar(g.type);
    appender.endRow();
  }
  appender.closeSync();
}

const ts = (ms: number) => `epoch_ms(${Math.trunc(ms)}::BIGINT)`;
const epochMs = (column: string) => `epoch_ms(${column})`;

/** (unit, name, ts) rows of the unit's events; `names` restricts the event names read. */
function unitEvents(unit: DuckUnit, names: string | null): string {
  const where = names ? `WHERE name IN (${names})` : '';
  if (unit.unit === 'PROFILE')
    return `SELECT profile_id AS unit, name, ts FROM events ${where ? `${where} AND` : 'WHERE'} profile_id IS NOT NULL`;
  // Unnest first, then join: the join can then hash on the group id.
  return `SELECT e.g AS unit, e.name, e.ts
    FROM (SELECT unnest(group_ids) AS g, name, ts FROM events ${where}) e
    JOIN groups ON groups.id = e.g AND groups.type = $groupType`;
}

const unitParams = (unit: DuckUnit): Record<string, string> =>
  unit.unit === 'GROUP' ? { groupType: unit.groupType } : {};

async function rows<T>(connection: DuckDBConnection, sql: string, params: Record<string, string>): Promise<T[]> {
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getRowObjectsJS() as T[];
}

const compareText = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

// ---------------------------------------------------------------- funnel

export interface DuckFunnelQuery {
  steps: readonly [string, string, string];
  from: Date;
  to: Date;
  windowSeconds: number;
}

export async function duckFunnel(
  connection: DuckDBConnection,
  unit: DuckUnit,
  q: DuckFunnelQuery,
  options: { units?: boolean } = {},
): Promise<RefFunnel> {
  if (new Set(q.steps).size !== 3) throw new Error('the DuckDB funnel takes three distinct step names');
  const chains = `
    WITH ue AS (${unitEvents(unit, '$s1, $s2, $s3')}),
    s1 AS (SELECT unit, ts AS t1 FROM ue WHERE name = $s1 AND ts >= ${ts(q.from.getTime())} AND ts < ${ts(q.to.getTime())}),
    s2 AS (SELECT unit, ts AS t FROM ue WHERE name = $s2),
    s3 AS (SELECT unit, ts AS t FROM ue WHERE name = $s3),
    c2 AS (SELECT s1.unit, s1.t1, s2.t AS t2 FROM s1 ASOF LEFT JOIN s2 ON s1.unit = s2.unit AND s2.t >= s1.t1),
    c3 AS (SELECT c2.unit, c2.t1, c2.t2, s3.t AS t3 FROM c2 ASOF LEFT JOIN s3 ON c2.unit = s3.unit AND s3.t >= c2.t2),
    levels AS (
      SELECT unit, t1, t2, t3,
        CASE WHEN t2 IS NULL OR t2 > t1 + to_milliseconds(${q.windowSeconds * 1000}) THEN 1
             WHEN t3 IS NULL OR t3 > t1 + to_milliseconds(${q.windowSeconds * 1000}) THEN 2 ELSE 3 END AS level
      FROM c3),
    best AS (SELECT unit, max(level) AS level FROM levels GROUP BY unit),
    chain AS (
      SELECT l.unit, b.level, arg_min(l.t1, l.t1) AS t1, arg_min(l.t2, l.t1) AS t2, arg_min(l.t3, l.t1) AS t3
      FROM levels l JOIN best b ON b.unit = l.unit AND b.level = l.level
      GROUP BY l.unit, b.level)`;
  const params: Record<string, string> = { ...unitParams(unit), s1: q.steps[0], s2: q.steps[1], s3: q.steps[2] };
  const [totals] = await rows<{ c1: number; c2: number; c3: number; m2: number | null; m3: number | null }>(
    connection,
    `${chains}
    SELECT count(*)::INT AS c1, count(*) FILTER (level >= 2)::INT AS c2, count(*) FILTER (level >= 3)::INT AS c3,
      quantile_cont(${epochMs('t2')} - ${epochMs('t1')}, 0.5) FILTER (level >= 2) AS m2,
      quantile_cont(${epochMs('t3')} - ${epochMs('t2')}, 0.5) FILTER (level >= 3) AS m3
    FROM chain`,
    params,
  );
  const levels = options.units
    ? await rows<{ unit: string; level: number }>(
        connection,
        `${chains} SELECT unit, level::INT AS level FROM chain`,
        params,
      )
    : [];
  const counts = [totals!.c1, totals!.c2, totals!.c3];
  const medians = [null, totals!.m2, totals!.m3];
  const unitsWith = (keep: (level: number) => boolean) =>
    levels
      .filter((r) => keep(r.level))
      .map((r) => r.unit)
      .sort(compareText);
  const steps: RefFunnelStep[] = q.steps.map((name, k) => ({
    index: k,
    name,
    count: counts[k]!,
    conversionFromStart: k === 0 ? 1 : counts[0] === 0 ? 0 : counts[k]! / counts[0]!,
    conversionFromPrevious: k === 0 ? 1 : counts[k - 1] === 0 ? 0 : counts[k]! / counts[k - 1]!,
    dropOff: k === 2 ? 0 : counts[k]! - counts[k + 1]!,
    medianSecondsFromPrevious: medians[k] == null ? null : medians[k]! / 1000,
    units: unitsWith((level) => level > k),
    droppedUnits: k === 2 ? [] : unitsWith((level) => level === k + 1),
  }));
  return { steps, breakdowns: [] };
}

// ---------------------------------------------------------------- UTC buckets

/** Starts of the UTC buckets (DAY or WEEK, weeks from Monday) starting in [from, to), and the end of the last. */
export function utcBuckets(interval: 'DAY' | 'WEEK', from: number, to: number): { starts: number[]; end: number } {
  const size = interval === 'DAY' ? DAY : WEEK;
  const monday = Date.UTC(1970, 0, 5); // buckets are whole multiples of `size` from a Monday
  let start = monday + Math.ceil((from - monday) / size) * size;
  const starts: number[] = [];
  for (; start < to; start += size) starts.push(start);
  return { starts, end: start };
}

const iso = (ms: number) => new Date(ms).toISOString();

// ---------------------------------------------------------------- retention

export interface DuckRetentionQuery {
  from: Date;
  to: Date;
  periods: number;
  /** complete[k] is decided against this instant. */
  now: Date;
}

/** Weekly retention, FIRST_TIME cohorts, ON criteria, any event as start and return. */
export async function duckRetention(
  connection: DuckDBConnection,
  unit: DuckUnit,
  q: DuckRetentionQuery,
): Promise<RefRetention> {
  const { starts } = utcBuckets('WEEK', q.from.getTime(), q.to.getTime());
  const cohorts = starts.map((start) => ({ start, size: 0, values: new Array<number>(q.periods + 1).fill(0) }));
  if (starts.length > 0) {
    const first = starts[0]!;
    const found = await rows<{ cohort: number; k: number; n: number }>(
      connection,
      `WITH ue AS (${unitEvents(unit, null)}),
      cohort AS (
        SELECT unit, date_trunc('week', min(ts)) AS c FROM ue GROUP BY unit
        HAVING min(ts) >= ${ts(q.from.getTime())} AND min(ts) < ${ts(q.to.getTime())} AND date_trunc('week', min(ts)) >= ${ts(first)}),
      active AS (
        SELECT DISTINCT unit, date_trunc('week', ts) AS w FROM ue
        WHERE ts >= ${ts(first)} AND ts < ${ts(starts.at(-1)! + (q.periods + 1) * WEEK)})
      SELECT ${epochMs('c')}::BIGINT AS cohort, 0 AS k, count(*)::INT AS n FROM cohort GROUP BY c
      UNION ALL
      SELECT ${epochMs('co.c')}::BIGINT, ((${epochMs('a.w')} - ${epochMs('co.c')}) // ${WEEK})::INT, count(*)::INT
      FROM cohort co JOIN active a ON a.unit = co.unit AND a.w > co.c AND a.w <= co.c + to_days(${7 * q.periods})
      GROUP BY 1, 2`,
      unitParams(unit),
    );
    for (const r of found) {
      const cohort = cohorts[(Number(r.cohort) - first) / WEEK]!;
      cohort.values[r.k] = r.n;
      if (r.k === 0) cohort.size = r.n;
    }
  }
  const now = q.now.getTime();
  const result = cohorts.map(({ start, size, values }) => ({
    start: iso(start),
    size,
    values,
    fractions: values.map((v) => (size === 0 ? 0 : v / size)),
    complete: values.map((_, k) => start + (k + 1) * WEEK <= now),
  }));
  const average = Array.from({ length: q.periods + 1 }, (_, k) => {
    const counted = result.filter((c) => c.complete[k] && c.size > 0);
    if (counted.length === 0) return null;
    return counted.reduce((s, c) => s + c.values[k]!, 0) / counted.reduce((s, c) => s + c.size, 0);
  });
  return { cohorts: result, average };
}

// ---------------------------------------------------------------- lifecycle

export async function duckLifecycle(
  connection: DuckDBConnection,
  unit: DuckUnit,
  q: { from: Date; to: Date },
): Promise<RefLifecycle> {
  const { starts, end } = utcBuckets('WEEK', q.from.getTime(), q.to.getTime());
  const buckets = starts.map((start) => ({ bucket: iso(start), new: 0, returning: 0, resurrecting: 0, dormant: 0 }));
  if (starts.length === 0) return { buckets };
  const first = starts[0]!;
  const found = await rows<{ w: number; kind: 'new' | 'returning' | 'resurrecting' | 'dormant'; n: number }>(
    connection,
    `WITH ue AS (${unitEvents(unit, null)}),
    firsts AS (SELECT unit, date_trunc('week', min(ts)) AS f FROM ue GROUP BY unit),
    active AS (SELECT DISTINCT unit, date_trunc('week', ts) AS w FROM ue WHERE ts >= ${ts(first - WEEK)} AND ts < ${ts(end)}),
    flagged AS (
      SELECT a.unit, a.w, f.f,
        lag(a.w) OVER (PARTITION BY a.unit ORDER BY a.w) AS prev,
        lead(a.w) OVER (PARTITION BY a.unit ORDER BY a.w) AS next
      FROM active a JOIN firsts f ON f.unit = a.unit),
    kinds AS (
      SELECT w, CASE WHEN w = f THEN 'new' WHEN prev = w - to_days(7) THEN 'returning' ELSE 'resurrecting' END AS kind
      FROM flagged WHERE w >= ${ts(first)}
      UNION ALL
      SELECT w + to_days(7), 'dormant' FROM flagged
      WHERE (next IS NULL OR next > w + to_days(7)) AND w + to_days(7) >= ${ts(first)} AND w + to_days(7) < ${ts(end)})
    SELECT ${epochMs('w')}::BIGINT AS w, kind, count(*)::INT AS n FROM kinds GROUP BY 1, 2`,
    unitParams(unit),
  );
  for (const r of found) buckets[(Number(r.w) - first) / WEEK]![r.kind] = r.n;
  return { buckets };
}

// ---------------------------------------------------------------- stickiness

export async function duckStickiness(
  connection: DuckDBConnection,
  unit: DuckUnit,
  q: { from: Date; to: Date },
): Promise<RefStickiness> {
  const { starts, end } = utcBuckets('DAY', q.from.getTime(), q.to.getTime());
  const counts = starts.map(() => 0);
  if (starts.length > 0) {
    const found = await rows<{ days: number; n: number }>(
      connection,
      `WITH ue AS (${unitEvents(unit, null)}),
      active AS (
        SELECT unit, count(DISTINCT date_trunc('day', ts))::INT AS days FROM ue
        WHERE ts >= ${ts(starts[0]!)} AND ts < ${ts(end)} GROUP BY unit)
      SELECT days, count(*)::INT AS n FROM active GROUP BY days`,
      unitParams(unit),
    );
    for (const r of found) counts[r.days - 1] = r.n;
  }
  return { intervals: starts.length, counts };
}
