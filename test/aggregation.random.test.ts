import { beforeAll, describe, expect, it } from 'vitest';

import { insertDemoEvents, insertDemoPopulation } from '../src/cli/demo/insert.ts';
import { createDemoPopulation } from '../src/cli/demo/population.ts';
import { pick, seededRandom, type Random } from '../src/cli/demo/random.ts';
import type { EventFilter, PropertyFilter } from '../src/services/analysis/filter.ts';
import { GroupOverviewService } from '../src/services/analysis/groupOverview.ts';
import type { Storage } from '../src/services/analysis/plan.ts';
import {
  totalInput,
  validateQuestion,
  type AggregationBreakdown,
  type AggregationInput,
  type AggregationInterval,
  type AggregationMetric,
} from '../src/services/analysis/question.ts';
import { AggregationService } from '../src/services/analysis/service.ts';
import { GroupService } from '../src/services/groups.ts';
import { IngestService, insertEvents, withDeadlockRetry, type EventRow } from '../src/services/ingest.ts';
import { MembershipService } from '../src/services/memberships.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../src/time.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';

// Whatever the rollups precompute must equal a scan of the raw events. Random
// data (late events, retried duplicates, multi-group and group-less events,
// deleted and re-created groups, changed group types, removed memberships) is
// queried with random questions in several time zones; every answer — from the
// rollups, from the raw events and from EventGroup — must equal the reference
// below, a straightforward computation over the events read back from the database.

const t = useTestApp();

// ---------------------------------------------------------------- reference

interface RefEvent {
  id: string;
  name: string;
  profileId: string | null;
  groupIds: string[];
  properties: Record<string, unknown>;
  createdAt: Date;
}

interface RefGroup {
  type: string | null;
  name: string | null;
  properties: Record<string, unknown>;
}

interface World {
  events: RefEvent[];
  groups: Map<string, RefGroup>;
}

interface RefSeries {
  key: string | null;
  total: number;
  previousTotal: number | null;
  changePercent: number | null;
  points: { bucket: string; value: number }[];
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock fields of an instant in a zone, from Intl (independent of PostgreSQL). */
function local(ms: number, timeZone: string) {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    y: Number(parts.year),
    mo: Number(parts.month),
    d: Number(parts.day),
    h: Number(parts.hour),
    mi: Number(parts.minute),
    s: Number(parts.second),
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!),
  };
}

function offset(ms: number, timeZone: string): number {
  const l = local(ms, timeZone);
  return Date.UTC(l.y, l.mo - 1, l.d, l.h, l.mi, l.s) - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The instant of local midnight of a calendar date (the test zones never skip midnight). */
function midnight(y: number, mo: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, mo - 1, d);
  let guess = wall - offset(wall, timeZone);
  guess = wall - offset(guess, timeZone);
  return guess;
}

function addDays(y: number, mo: number, d: number, days: number) {
  const date = new Date(Date.UTC(y, mo - 1, d + days));
  return { y: date.getUTCFullYear(), mo: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

/** Bucket boundaries: starts from the bucket holding `from` (minus lookback days), then the first boundary ≥ to. */
function referenceBoundaries(
  interval: AggregationInterval,
  tz: string,
  from: number,
  to: number,
  lookback: number,
): number[] {
  const out: number[] = [];
  if (interval === 'HOUR') {
    const floorHour = (ms: number) => {
      const l = local(ms, tz);
      return ms - l.mi * MINUTE_MS - l.s * SECOND_MS - (((ms % 1000) + 1000) % 1000);
    };
    const seen = new Set<number>();
    for (let x = floorHour(from); x <= to + 2 * HOUR_MS; x += 15 * MINUTE_MS) seen.add(floorHour(x));
    out.push(...[...seen].sort((a, b) => a - b));
  } else {
    const l = local(from, tz);
    let date = addDays(l.y, l.mo, l.d, -lookback);
    if (interval === 'WEEK')
      date = addDays(date.y, date.mo, date.d, -local(midnight(date.y, date.mo, date.d, tz) + HOUR_MS * 12, tz).weekday);
    if (interval === 'MONTH') date = { ...date, d: 1 };
    for (;;) {
      const b = midnight(date.y, date.mo, date.d, tz);
      out.push(b);
      if (b >= to) break;
      date =
        interval === 'DAY'
          ? addDays(date.y, date.mo, date.d, 1)
          : interval === 'WEEK'
            ? addDays(date.y, date.mo, date.d, 7)
            : { y: date.mo === 12 ? date.y + 1 : date.y, mo: (date.mo % 12) + 1, d: 1 };
    }
  }
  const end = out.findIndex((b) => b >= to);
  return out.slice(0, end + 1);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return jsonEqual(ka, kb) && ka.every((k) => jsonEqual((a as any)[k], (b as any)[k]));
  }
  return a === b;
}

function propertyMatches(properties: Record<string, unknown>, f: PropertyFilter): boolean {
  const has = Object.prototype.hasOwnProperty.call(properties, f.key);
  const v = properties[f.key];
  switch (f.op) {
    case 'EQ':
      return has && jsonEqual(v, f.value);
    case 'NEQ':
      return !has || !jsonEqual(v, f.value);
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE': {
      if (typeof f.value !== 'number' || typeof v !== 'number') return false; // the test only compares numbers
      return f.op === 'GT' ? v > f.value : f.op === 'GTE' ? v >= f.value : f.op === 'LT' ? v < f.value : v <= f.value;
    }
    case 'CONTAINS':
      if (Array.isArray(v)) return v.some((x) => jsonEqual(x, f.value));
      return typeof v === 'string' && v.toLowerCase().includes(String(f.value).toLowerCase());
    case 'IN':
      return has && (f.value as unknown[]).some((x) => jsonEqual(x, v));
    case 'EXISTS':
      return f.value === false ? !has : has;
  }
}

function groupMatches(group: RefGroup | undefined, filter: EventFilter): boolean {
  if (filter.groupType == null && !filter.groupProperties?.length) return true;
  if (!group) return false;
  if (filter.groupType != null && group.type !== filter.groupType) return false;
  return (filter.groupProperties ?? []).every((f) => propertyMatches(group.properties, f));
}

/** Whether one event meets an EventFilter (every part must hold). */
function eventMatches(e: RefEvent, f: EventFilter, world: World): boolean {
  const ms = e.createdAt.getTime();
  if (f.eventNames?.length && !f.eventNames.includes(e.name)) return false;
  if (f.profileId != null && e.profileId !== f.profileId) return false;
  if (f.groupIds?.length && !e.groupIds.some((g) => f.groupIds!.includes(g))) return false;
  if (f.from && ms < f.from.getTime()) return false;
  if (f.to && ms >= f.to.getTime()) return false;
  if (!(f.properties ?? []).every((p) => propertyMatches(e.properties, p))) return false;
  if (f.groupType != null || f.groupProperties?.length) {
    if (!e.groupIds.some((g) => groupMatches(world.groups.get(g), f))) return false;
  }
  return true;
}

/** JSON as jsonb prints it (arrays and scalars in these tests): a space after each comma. */
const jsonbText = (v: unknown): string => (Array.isArray(v) ? `[${v.map(jsonbText).join(', ')}]` : JSON.stringify(v));

/** Text of a JSON value as PostgreSQL's ->> gives it: strings unquoted, null and absent as SQL NULL. */
const textOf = (v: unknown): string | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? v : jsonbText(v);

function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

interface RefAnswer {
  series: RefSeries[];
  seriesCount: number;
}

function reference(world: World, input: AggregationInput): RefSeries[] {
  return referenceAnswer(world, input).series;
}

function referenceAnswer(world: World, input: AggregationInput): RefAnswer {
  const f = input.filter ?? {};
  const tz = input.timezone ?? 'UTC';
  const from = input.from!.getTime();
  const to = input.to!.getTime();
  const rolling = input.rollingDays ?? 1;
  const starts = input.interval ? referenceBoundaries(input.interval, tz, from, to, rolling - 1).slice(0, -1) : [from];
  const rangeStart = Math.max(rolling > 1 ? starts[0]! : from, f.from?.getTime() ?? -Infinity);
  const rangeEnd = Math.min(to, f.to?.getTime() ?? Infinity);
  const compare = input.compareTo === 'PREVIOUS_PERIOD';
  // The previous period: as long as [from, to), just before from; the filter's from/to still apply.
  const previousStart = Math.max(from - (to - from), f.from?.getTime() ?? -Infinity);
  const previousEnd = Math.min(from, f.to?.getTime() ?? Infinity);
  const bucketOf = (ms: number) => {
    let i = starts.length - 1;
    while (starts[i]! > ms) i--;
    return i;
  };
  const pairGroups = (e: RefEvent) =>
    e.groupIds.filter((g) => (!f.groupIds?.length || f.groupIds.includes(g)) && groupMatches(world.groups.get(g), f));
  const groupKey = (g: string): string | null => {
    const group = world.groups.get(g);
    if (input.breakdown === 'GROUP') return g;
    if (input.breakdown === 'GROUP_TYPE') return group?.type ?? null;
    return textOf(group?.properties[input.breakdownProperty!]);
  };
  const grouped =
    input.breakdown === 'GROUP' || input.breakdown === 'GROUP_TYPE' || input.breakdown === 'GROUP_PROPERTY';
  /** The key an event gives itself (no group breakdown). */
  const ownKey = (e: RefEvent): string | null =>
    input.breakdown === 'EVENT_NAME'
      ? e.name
      : input.breakdown === 'PROFILE'
        ? e.profileId
        : input.breakdown === 'EVENT_PROPERTY'
          ? textOf(e.properties[input.breakdownProperty!])
          : null;

  // cells[key][bucket] = count (EVENTS) or set of entities (unique metrics)
  // The previous period is bucket -1.
  const cells = new Map<string | null, Map<number, number | Set<string>>>();
  const add = (key: string | null, b: number, entity: string | null) => {
    if (!cells.has(key)) cells.set(key, new Map());
    const row = cells.get(key)!;
    if (entity === null) row.set(b, ((row.get(b) as number | undefined) ?? 0) + 1);
    else {
      if (!row.has(b)) row.set(b, new Set());
      (row.get(b) as Set<string>).add(entity);
    }
  };
  for (const e of world.events) {
    const ms = e.createdAt.getTime();
    if (!eventMatches(e, f, world)) continue;
    let b: number;
    if (ms >= rangeStart && ms < rangeEnd) b = bucketOf(ms);
    else if (compare && ms >= previousStart && ms < previousEnd) b = -1;
    else continue;
    if (input.metric === 'UNIQUE_GROUPS') {
      for (const g of pairGroups(e)) add(grouped ? groupKey(g) : ownKey(e), b, g);
      continue;
    }
    let keys: (string | null)[];
    if (grouped) {
      keys = [
        ...new Set(
          pairGroups(e)
            .map(groupKey)
            .filter((k): k is string => k !== null),
        ),
      ];
      if (keys.length === 0) keys = [null];
    } else keys = [ownKey(e)];
    for (const key of keys) {
      if (input.metric === 'EVENTS') add(key, b, null);
      else if (e.profileId !== null) add(key, b, e.profileId);
    }
  }

  const measure = (row: Map<number, number | Set<string>>, buckets: number[]): number => {
    if (input.metric === 'EVENTS')
      return buckets.reduce((sum, b) => sum + ((row.get(b) as number | undefined) ?? 0), 0);
    const union = new Set<string>();
    for (const b of buckets) for (const x of (row.get(b) as Set<string> | undefined) ?? []) union.add(x);
    return union.size;
  };
  const all = starts.map((_, i) => i);
  const series = [...cells].map(([key, row]) => {
    const total = measure(row, all);
    const previousTotal = compare ? measure(row, [-1]) : null;
    const changePercent = previousTotal ? ((total - previousTotal) * 100) / previousTotal : null;
    return { key, row, total, previousTotal, changePercent };
  });
  const sign = input.order === 'ASC' ? 1 : -1;
  const rank = (s: (typeof series)[number]) => (input.orderBy === 'CHANGE_PERCENT' ? s.changePercent : s.total);
  series.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra === rb) return compareKeys(a.key, b.key);
    if (ra === null) return 1;
    if (rb === null) return -1;
    return sign * (ra - rb);
  });
  const offset = input.offset ?? 0;
  const top = series.slice(offset, offset + (input.limit ?? 10));
  const outputs = starts.slice(rolling - 1);
  const result = top.map(({ key, row, total, previousTotal, changePercent }) => ({
    key,
    total,
    previousTotal,
    changePercent,
    points: outputs.map((bucket, i) => ({
      bucket: new Date(bucket).toISOString(),
      value: measure(
        row,
        Array.from({ length: rolling }, (_, k) => i + k),
      ),
    })),
  }));
  if (!input.breakdown) {
    if (result.length === 0 && offset === 0) {
      result.push({
        key: null,
        total: 0,
        previousTotal: compare ? 0 : null,
        changePercent: null,
        points: outputs.map((b) => ({ bucket: new Date(b).toISOString(), value: 0 })),
      });
    }
    return { series: result, seriesCount: 1 };
  }
  return { series: result, seriesCount: series.length };
}

// ---------------------------------------------------------------- random data

const chance = (rng: Random, p: number) => rng() < p;
const some = <T>(rng: Random, list: readonly T[], max: number): T[] => {
  const n = 1 + Math.floor(rng() * max);
  return [...new Set(Array.from({ length: n }, () => pick(rng, list)))];
};

const SEED = Number(process.env.AGGREGATION_SEED ?? 20261126);
const NAMES = ['page_view', 'report_exported', 'signup', 'invite_sent', 'search', 'login'];
const TIMEZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
// Covers the US (8 March) and EU (29 March) spring-forward and Lord Howe's half-hour change (5 April).
const WINDOW_START = Date.parse('2026-03-03T00:00:00Z');
const WINDOW_DAYS = 36;

interface RandomProject {
  projectId: string;
  groupIds: string[];
  profileIds: string[];
  world: World;
}

async function loadWorld(projectId: string): Promise<World> {
  const prisma = t.db.prisma;
  const events = await prisma.event.findMany({ where: { projectId } });
  const groups = await prisma.group.findMany({ where: { projectId } });
  return {
    events: events.map((e) => ({ ...e, properties: e.properties as Record<string, unknown> })),
    groups: new Map(
      groups.map((g) => [g.id, { type: g.type, name: g.name, properties: g.properties as Record<string, unknown> }]),
    ),
  };
}

function randomTime(rng: Random): Date {
  const day = Math.floor(rng() * WINDOW_DAYS);
  // A third exactly on a UTC hour or half hour: bucket edges in every test zone.
  const within = chance(rng, 0.33) ? Math.floor(rng() * 48) * 30 * MINUTE_MS : Math.floor(rng() * DAY_MS);
  return new Date(WINDOW_START + day * DAY_MS + within);
}

async function buildRandomProject(rng: Random): Promise<RandomProject> {
  const projectId = (await t.createKey('root')).projectId;
  const prisma = t.db.prisma;
  const groups = new GroupService(prisma);
  const memberships = new MembershipService(prisma);
  const ingest = new IngestService(prisma);
  const groupIds = Array.from({ length: 10 }, (_, i) => `g${i}`);
  const profileIds = Array.from({ length: 24 }, (_, i) => `u${i}`);
  for (const id of groupIds.slice(0, 8)) {
    const properties: Record<string, unknown> = { seats: Math.floor(rng() * 4) * 5 };
    if (chance(rng, 0.8)) properties.plan = pick(rng, ['free', 'pro', 'enterprise']);
    await groups.upsert(projectId, {
      id,
      type: pick(rng, ['company', 'team', 'workspace']),
      name: `Group ${id}`,
      properties,
    });
  } // g8, g9: placeholders, created by the first event naming them
  for (const profileId of profileIds) {
    if (chance(rng, 0.6))
      await memberships.setGroups(projectId, { profileId, groupIds: some(rng, groupIds.slice(0, 8), 2) });
  }

  const gone = new Set<string>(); // deleted groups nothing names again
  const live = () => groupIds.filter((g) => !gone.has(g));
  let serial = 0;
  const makeRow = (): EventRow => ({
    id: `e${serial++}`,
    name: pick(rng, NAMES),
    profileId: chance(rng, 0.85) ? pick(rng, profileIds) : null,
    deviceId: null,
    sessionId: null,
    groups: chance(rng, 0.25) ? [] : some(rng, live(), 3),
    properties: {
      n: Math.floor(rng() * 10),
      kind: pick(rng, ['Alpha', 'beta', 'gamma ray']),
      ...(chance(rng, 0.5) && { tags: some(rng, ['x', 'y', 'z'], 2) }),
      ...(chance(rng, 0.3) && { plan: pick(rng, ['free', 'pro']) }),
    },
    createdAt: randomTime(rng).toISOString(),
    inherit: chance(rng, 0.7),
  });

  for (let round = 0; round < 8; round++) {
    const batch = Array.from({ length: 150 }, makeRow);
    await withDeadlockRetry(() => insertEvents(prisma, projectId, batch));
    // A client retrying part of a batch, twice at once: stored once.
    const retried = batch.filter(() => chance(rng, 0.2));
    await Promise.all([
      withDeadlockRetry(() => insertEvents(prisma, projectId, retried)),
      withDeadlockRetry(() => insertEvents(prisma, projectId, retried)),
    ]);
    // The single-event path, with a retry of the same id.
    for (let i = 0; i < 8; i++) {
      const row = makeRow();
      const input = {
        id: row.id,
        name: row.name,
        profileId: row.profileId,
        groups: row.groups,
        properties: row.properties,
        timestamp: new Date(row.createdAt),
        inheritProfileGroups: row.inherit,
      };
      await ingest.track(projectId, input);
      if (chance(rng, 0.5)) await ingest.track(projectId, input);
    }
    // Membership and group changes between rounds change what later events inherit and how groups look.
    const profileId = pick(rng, profileIds);
    if (chance(rng, 0.5)) await memberships.removeGroups(projectId, { profileId, groupIds: groupIds.slice(0, 8) });
    else await memberships.setGroups(projectId, { profileId, groupIds: some(rng, live(), 2) });
    if (round === 3) await groups.delete(projectId, 'g1'); // later events re-create it as a placeholder
    if (round === 5) {
      await groups.delete(projectId, 'g2'); // stays deleted
      gone.add('g2');
    }
    if (round === 4)
      await groups.update(projectId, {
        id: 'g3',
        type: 'team',
        name: 'Renamed',
        properties: { plan: 'enterprise', seats: 50 },
      });
  }
  return { projectId, groupIds, profileIds, world: await loadWorld(projectId) };
}

function randomFilter(rng: Random, p: RandomProject): EventFilter {
  const filter: EventFilter = {};
  if (chance(rng, 0.2)) filter.eventNames = some(rng, NAMES, 2);
  if (chance(rng, 0.1)) filter.profileId = pick(rng, p.profileIds);
  if (chance(rng, 0.25)) filter.groupIds = some(rng, p.groupIds, 3);
  if (chance(rng, 0.2)) filter.groupType = pick(rng, ['company', 'team', 'workspace']);
  if (chance(rng, 0.15)) {
    filter.properties = [
      pick(rng, [
        { key: 'n', op: 'GT', value: Math.floor(rng() * 9) },
        { key: 'n', op: 'LTE', value: Math.floor(rng() * 9) },
        { key: 'kind', op: 'EQ', value: 'beta' },
        { key: 'kind', op: 'NEQ', value: 'Alpha' },
        { key: 'kind', op: 'CONTAINS', value: 'AY' },
        { key: 'tags', op: 'CONTAINS', value: 'x' },
        { key: 'plan', op: 'IN', value: ['pro', 'enterprise'] },
        { key: 'tags', op: 'EXISTS', value: pick(rng, [true, false]) },
      ] as PropertyFilter[]),
    ];
  }
  if (chance(rng, 0.15)) {
    filter.groupProperties = [
      pick(rng, [
        { key: 'plan', op: 'EQ', value: 'pro' },
        { key: 'plan', op: 'IN', value: ['free', 'enterprise'] },
        { key: 'seats', op: 'GTE', value: 10 },
        { key: 'plan', op: 'EXISTS', value: false },
      ] as PropertyFilter[]),
    ];
  }
  if (chance(rng, 0.1))
    filter.from = new Date(WINDOW_START + Math.floor(rng() * 20) * DAY_MS + Math.floor(rng() * DAY_MS));
  if (chance(rng, 0.1)) filter.to = new Date(WINDOW_START + (10 + Math.floor(rng() * 26)) * DAY_MS);
  return filter;
}

const SPAN_DAYS: Record<AggregationInterval | 'TOTAL', [number, number]> = {
  HOUR: [1, 5],
  DAY: [2, 30],
  WEEK: [10, 36],
  MONTH: [20, 36],
  TOTAL: [1, 36],
};

function randomQuery(rng: Random, p: RandomProject): AggregationInput {
  const interval = pick(rng, [null, 'HOUR', 'DAY', 'DAY', 'WEEK', 'MONTH'] as const);
  const [minDays, maxDays] = SPAN_DAYS[interval ?? 'TOTAL'];
  const span = (minDays + rng() * (maxDays - minDays)) * DAY_MS;
  // Mostly whole hours (the rollups), sometimes a ragged minute (raw events at the edges).
  const ragged = () => (chance(rng, 0.3) ? Math.floor(rng() * 59) * MINUTE_MS + 1234 : 0);
  const from = WINDOW_START - DAY_MS + Math.floor(rng() * (WINDOW_DAYS * 24)) * HOUR_MS + ragged();
  const breakdown = pick(rng, [
    null,
    'GROUP',
    'GROUP_TYPE',
    'GROUP_PROPERTY',
    'EVENT_NAME',
    'EVENT_NAME', // twice: the only breakdown RollupHourName answers
    'PROFILE',
    'EVENT_PROPERTY',
  ] as const);
  const rollingDays = interval === 'DAY' && chance(rng, 0.3) ? 1 + Math.floor(rng() * 7) : null;
  const compareTo = rollingDays === null && chance(rng, 0.35) ? ('PREVIOUS_PERIOD' as const) : null;
  return {
    metric: pick(rng, ['EVENTS', 'UNIQUE_PROFILES', 'UNIQUE_GROUPS'] as const) as AggregationMetric,
    from: new Date(from),
    to: new Date(Math.floor((from + span) / HOUR_MS) * HOUR_MS + ragged()),
    interval,
    timezone: pick(rng, TIMEZONES),
    breakdown: breakdown as AggregationBreakdown | null,
    breakdownProperty:
      breakdown === 'GROUP_PROPERTY'
        ? pick(rng, ['plan', 'seats'])
        : breakdown === 'EVENT_PROPERTY'
          ? pick(rng, ['kind', 'n', 'plan', 'tags'])
          : null,
    filter: randomFilter(rng, p),
    limit: 1 + Math.floor(rng() * 12),
    offset: chance(rng, 0.3) ? Math.floor(rng() * 6) : 0,
    order: pick(rng, ['ASC', 'DESC'] as const),
    orderBy: compareTo && chance(rng, 0.6) ? 'CHANGE_PERCENT' : 'TOTAL',
    compareTo,
    rollingDays,
  };
}

/** A property no event or group has: "not set" holds for all of them (deleted groups meet no group condition). */
const NOT_SET: PropertyFilter = { key: 'never_set', op: 'EXISTS', value: false };

/** Whether EventGroup can answer: events chosen by group id alone (no group type or property conditions). */
const eventGroupsFit = (f: EventFilter) =>
  (f.groupIds?.length ?? 0) > 0 && f.groupType == null && (f.groupProperties?.length ?? 0) === 0;

const plain = (
  series: {
    key: string | null;
    total: number;
    previousTotal: number | null;
    changePercent: number | null;
    points: { bucket: Date | string; value: number }[];
  }[],
) =>
  series.map((s) => ({
    key: s.key,
    total: s.total,
    previousTotal: s.previousTotal,
    changePercent: s.changePercent,
    points: s.points.map((p) => ({ bucket: new Date(p.bucket).toISOString(), value: p.value })),
  }));

// ---------------------------------------------------------------- tests

describe('precomputed aggregation equals a scan of the raw events', () => {
  let project: RandomProject;
  let service: AggregationService;
  let overview: GroupOverviewService;
  beforeAll(async () => {
    service = new AggregationService(t.db.prisma);
    overview = new GroupOverviewService(t.db.prisma, service);
    project = await buildRandomProject(seededRandom(SEED));
  });

  it('the data set has what the comparison needs', () => {
    const { events, groups } = project.world;
    expect(events.length).toBeGreaterThan(1000);
    expect(events.some((e) => e.groupIds.length >= 2)).toBe(true);
    expect(events.some((e) => e.groupIds.length === 0)).toBe(true);
    expect(events.some((e) => e.groupIds.includes('g2'))).toBe(true);
    expect(groups.has('g2')).toBe(false); // deleted, still named by events
    expect(groups.get('g1')?.type).toBeNull(); // deleted, then re-created by an event as a placeholder
  });

  it('the rollup tables equal counts recomputed from the events', async () => {
    const compare = async (table: string, extra: string) => {
      const rows = await t.db.prisma.$queryRawUnsafe<{ diff: number }[]>(
        `
        WITH recomputed AS (
          SELECT date_trunc('hour', e."createdAt", 'UTC') AS "hour",
                 CASE WHEN cardinality(e."groupIds") = 0 THEN '' ELSE md5(array_to_json(ARRAY(SELECT g FROM unnest(e."groupIds") g ORDER BY g COLLATE "C"))::text) END AS "groupSet",
                 ${extra ? `${extra},` : ''} count(*)::int AS "events"
          FROM "Event" e WHERE e."projectId" = $1 GROUP BY 1, 2 ${extra ? ', 3' : ''}
        ), stored AS (
          SELECT "hour", "groupSet", ${extra ? `${extra.replace(/.* AS /, '')},` : ''} "events" FROM "${table}" WHERE "projectId" = $1
        )
        SELECT ((SELECT count(*) FROM (SELECT * FROM recomputed EXCEPT SELECT * FROM stored) a)
              + (SELECT count(*) FROM (SELECT * FROM stored EXCEPT SELECT * FROM recomputed) b))::int AS "diff"`,
        project.projectId,
      );
      return rows[0]!.diff;
    };
    expect(await compare('RollupHour', '')).toBe(0);
    expect(await compare('RollupHourProfile', `COALESCE(e."profileId", '') AS "profileId"`)).toBe(0);
    expect(await compare('RollupHourName', `e."name" AS "name"`)).toBe(0);
    const stored = await t.db.prisma.rollupHour.aggregate({
      where: { projectId: project.projectId },
      _sum: { events: true },
    });
    expect(stored._sum.events).toBe(project.world.events.length);
  });

  it('random questions: every storage path answers as the reference does', async () => {
    const rng = seededRandom(SEED + 1);
    const paths = new Map<string, number>();
    const asked = new Map<Storage['path'], number>();
    let edged = 0;
    let nonEmpty = 0;
    /** Answers `input` and compares; returns the storage its plan chose (the pure planner's choice). */
    const answer = async (input: AggregationInput, expected: RefAnswer, context: string) => {
      const { storage } = await service.plan(validateQuestion(input));
      const via =
        storage.path === 'rollup' || storage.path === 'activityDays'
          ? `${storage.path} ${storage.table}`
          : storage.path;
      paths.set(via, (paths.get(via) ?? 0) + 1);
      if (storage.path === 'rollup' && storage.hours.edgeHours.length > 0) edged++;
      if (storage.path === 'activityDays' && storage.edgeHours.length > 0) edged++;
      const result = await service.aggregate(project.projectId, input);
      expect(plain(result.series), `${context} via ${via}`).toEqual(expected.series);
      expect(result.seriesCount, `${context} via ${via}: seriesCount`).toBe(expected.seriesCount);
      return storage.path;
    };
    const options = new Map<string, number>();
    const count = (option: string) => options.set(option, (options.get(option) ?? 0) + 1);
    for (let n = 0; n < 90; n++) {
      const input = randomQuery(rng, project);
      const expected = referenceAnswer(project.world, input);
      if (expected.series.some((s) => s.total > 0)) nonEmpty++;
      if (input.breakdown === 'PROFILE' || input.breakdown === 'EVENT_PROPERTY') count(input.breakdown);
      if (input.compareTo && expected.series.some((s) => s.changePercent !== null)) count('changePercent');
      if (input.orderBy === 'CHANGE_PERCENT') count('by change');
      if (input.order === 'ASC' && expected.series.length > 1) count('ascending');
      if ((input.offset ?? 0) > 0 && expected.series.length > 0) count('a later page');
      const context = JSON.stringify(input);
      const path = await answer(input, expected, context);
      asked.set(path, (asked.get(path) ?? 0) + 1);
      // The same question with a condition every event meets: no rollup holds event
      // properties, so the raw events answer it, or EventGroup when the filter
      // chooses the events by group id alone.
      const f = input.filter ?? {};
      const noRollup = { ...input, filter: { ...f, properties: [...(f.properties ?? []), NOT_SET] } };
      const noRollupPath = await answer(noRollup, expected, `${context} + property not set`);
      expect(noRollupPath, context).toBe(path === 'none' ? 'none' : eventGroupsFit(f) ? 'eventGroups' : 'events');
      // Adding a group condition every group meets takes that to the raw events.
      // Only deleted groups fail it (g2 stays deleted), so questions naming g2 keep EventGroup alone.
      if (noRollupPath === 'eventGroups' && !f.groupIds!.includes('g2')) {
        const raw = { ...noRollup, filter: { ...noRollup.filter, groupProperties: [NOT_SET] } };
        expect(await answer(raw, expected, `${context} + property and group property not set`), context).toBe('events');
      }
      // Unique counts without a filter: the daily activity tables answer them (with edge hours from the events).
      if (input.metric !== 'EVENTS' && n % 2 === 0) {
        const unfiltered = { ...input, filter: {} };
        await answer(unfiltered, referenceAnswer(project.world, unfiltered), `${context} without filter`);
      }
      // Event counts by group over whole UTC days: the daily group counts answer them.
      if (input.metric === 'EVENTS' && input.breakdown === 'GROUP') {
        const floorDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
        const days = {
          ...input,
          timezone: 'UTC',
          interval: input.interval === 'HOUR' ? 'DAY' : input.interval,
          from: floorDay(input.from!),
          to: new Date(floorDay(input.to!).getTime() + DAY_MS),
        };
        await answer(days, referenceAnswer(project.world, days), `${context} in whole UTC days`);
      }
      // Totals count an event once, however many groups it has.
      if (n % 5 === 0) {
        const total = reference(project.world, totalInput(input))[0]!.total;
        expect(await service.total(project.projectId, input), `${context} total`).toBe(total);
      }
    }
    // The random questions themselves mostly take the fast path, including hours a boundary cuts;
    // with their variants, every storage path and every rollup table answered many times.
    expect((asked.get('rollup') ?? 0) + (asked.get('activityDays') ?? 0)).toBeGreaterThan(30);
    for (const option of ['PROFILE', 'EVENT_PROPERTY', 'changePercent', 'by change', 'ascending', 'a later page'])
      expect(options.get(option) ?? 0, `${option} in ${JSON.stringify([...options])}`).toBeGreaterThan(4);
    expect(edged).toBeGreaterThan(5);
    expect(nonEmpty).toBeGreaterThan(45);
    for (const via of [
      'activityDays GroupActivityDay',
      'activityDays ProfileActivityDay',
      'rollup RollupHour',
      'rollup RollupHourProfile',
      'rollup RollupHourName',
      'eventGroups',
      'events',
    ])
      expect(paths.get(via) ?? 0, `${via} in ${JSON.stringify([...paths])}`).toBeGreaterThan(5);
  });

  it('Group.stats (from the same storage) equals counts over the raw events', async () => {
    const rng = seededRandom(SEED + 3);
    for (let n = 0; n < 15; n++) {
      const ids = some(rng, [...project.groupIds, 'nobody'], 4);
      const ragged = () => (chance(rng, 0.5) ? Math.floor(rng() * (HOUR_MS - 1)) : 0);
      const from = chance(rng, 0.2) ? null : new Date(WINDOW_START + Math.floor(rng() * 30) * DAY_MS + ragged());
      const to = chance(rng, 0.2)
        ? null
        : new Date((from?.getTime() ?? WINDOW_START) + Math.floor(rng() * 20 * DAY_MS) + ragged());
      const stats = await overview.stats(project.projectId, ids, { from, to });
      for (const id of ids) {
        const events = project.world.events.filter(
          (e) => e.groupIds.includes(id) && (!from || e.createdAt >= from) && (!to || e.createdAt < to),
        );
        const names = new Map<string, number>();
        for (const e of events) names.set(e.name, (names.get(e.name) ?? 0) + 1);
        const times = events.map((e) => e.createdAt.getTime());
        const expected = {
          eventCount: events.length,
          uniqueProfiles: new Set(events.map((e) => e.profileId).filter((p) => p !== null)).size,
          firstSeenAt: times.length ? new Date(Math.min(...times)) : null,
          lastSeenAt: times.length ? new Date(Math.max(...times)) : null,
          topEvents: [...names]
            .map(([name, count]) => ({ name, count }))
            .sort((a, b) => b.count - a.count || compareKeys(a.name, b.name))
            .slice(0, 50),
        };
        const context = JSON.stringify({ id, from, to });
        expect(stats.get(id), context).toEqual(expected);
      }
    }
  });

  it('group labels are group names, or the id for deleted and placeholder groups', async () => {
    const result = await service.aggregate(project.projectId, {
      metric: 'EVENTS',
      from: new Date(WINDOW_START),
      to: new Date(WINDOW_START + WINDOW_DAYS * DAY_MS),
      breakdown: 'GROUP',
      limit: 20,
    });
    const labels = Object.fromEntries(result.series.map((s) => [s.key, s.label]));
    for (const [key, label] of Object.entries(labels)) {
      if (key === 'null') continue;
      expect(label).toBe(project.world.groups.get(key)?.name ?? key);
    }
    expect(labels.g2).toBe('g2');
    expect(labels.g0).toBe('Group g0');
  });
});

describe('the demo generator', () => {
  it('makes companies with plans and seats, teams, joins and departures, and events the aggregation counts exactly', async () => {
    const projectId = uniqueId('demo');
    const now = new Date('2026-04-02T00:00:00Z');
    const population = createDemoPopulation({ companies: 12, seed: 7, now, days: 30 });
    await insertDemoPopulation(t.db.prisma, projectId, population);
    const progress: number[] = [];
    const stored = await insertDemoEvents(t.db.prisma, projectId, population, {
      count: 2500,
      onProgress: (done) => progress.push(done),
      batchSize: 500,
    });
    expect(stored).toBe(2500);
    expect(progress.at(-1)).toBe(2500);

    const companies = await t.db.prisma.group.findMany({ where: { projectId, type: 'company' } });
    expect(companies).toHaveLength(12);
    for (const c of companies) {
      expect(['free', 'pro', 'enterprise']).toContain((c.properties as any).plan);
      expect((c.properties as any).seats).toBeGreaterThan(0);
    }
    expect(await t.db.prisma.group.count({ where: { projectId, type: 'team' } })).toBeGreaterThanOrEqual(12);
    expect(await t.db.prisma.groupMembership.count({ where: { projectId, leftAt: { not: null } } })).toBeGreaterThan(0);
    const world = await loadWorld(projectId);
    const times = world.events.map((e) => e.createdAt.getTime());
    expect(Math.min(...times)).toBeGreaterThanOrEqual(now.getTime() - 30 * DAY_MS);
    expect(Math.max(...times)).toBeLessThan(now.getTime());
    // Every event with a profile is tagged with groups its profile belonged to at that time.
    const periods = await t.db.prisma.groupMembership.findMany({ where: { projectId } });
    for (const e of world.events.slice(0, 300)) {
      for (const g of e.groupIds) {
        expect(
          periods.some(
            (m) =>
              m.profileId === e.profileId &&
              m.groupId === g &&
              m.joinedAt <= e.createdAt &&
              (!m.leftAt || e.createdAt < m.leftAt),
          ),
        ).toBe(true);
      }
    }

    const service = new AggregationService(t.db.prisma);
    const rng = seededRandom(SEED + 2);
    const from = new Date(now.getTime() - 30 * DAY_MS);
    for (let n = 0; n < 12; n++) {
      const input: AggregationInput = {
        metric: pick(rng, ['EVENTS', 'UNIQUE_PROFILES', 'UNIQUE_GROUPS'] as const),
        from,
        to: now,
        interval: 'DAY',
        timezone: pick(rng, TIMEZONES),
        breakdown: pick(rng, [null, 'GROUP', 'GROUP_PROPERTY', 'EVENT_NAME'] as const),
        breakdownProperty: null,
        filter: chance(rng, 0.5) ? { groupType: 'company' } : {},
        limit: 10,
        rollingDays: chance(rng, 0.3) ? 7 : null,
      };
      if (input.breakdown === 'GROUP_PROPERTY') input.breakdownProperty = 'plan';
      const result = await service.aggregate(projectId, input);
      expect(plain(result.series), JSON.stringify(input)).toEqual(reference(world, input));
    }
  });
});
