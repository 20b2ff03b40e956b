/**
 * A plain in-memory reference of the account-level analyses — funnel,
 * retention, lifecycle, stickiness — for unit PROFILE and GROUP, written to be
 * read next to their definition rather than to be fast: every answer is
 * recomputed from the events with loops and sets.
 *
 * Choices where the definition is silent (PostHog's behaviour where it has one):
 * - Event order: events sort by (createdAt, id) with ids compared bytewise. Only
 *   ties matter: "the earliest step-1 event" of a funnel unit is the first in
 *   this order, which picks the EVENT_PROPERTY breakdown value.
 * - Funnel chain: its step times are the earliest each step can have in any
 *   chain from that step-1 event (the greedy "take every step you can, as
 *   early as you can"). Where equal timestamps let one event serve several
 *   steps, the literal one-event-at-a-time greedy could pick a tied event that
 *   a later step needed; these times are what it gives whenever it cannot.
 * - Funnel steps are numbered from 0 (`index`, like PostHog's `order`); step 1's
 *   conversions are 1 even with no unit; `units` lists ids in bytewise order.
 * - Funnel breakdown series: by step-1 count descending, then value bytewise
 *   ascending, the absent value (null) last — eventAggregation's series order;
 *   values past `limit` are left out (no "other" series). Values are the text
 *   PostgreSQL's `->>` gives (see `jsonbText`), as eventAggregation's keys.
 * - Buckets: those whose start lies in [from, to) (an unaligned `from` skips the
 *   partial bucket it falls in). A unit is active in a bucket when it has an
 *   event anywhere in that whole bucket, even past `to` (PostHog rounds ranges
 *   out to whole intervals); only FIRST_TIME's "first-ever start event in
 *   [from, to)" is tested against the instants themselves.
 * - Retention: `complete[k]` when bucket (cohort + k) ends at or before `now`;
 *   ON_OR_AFTER counts a return event at any time from the start of bucket
 *   (cohort + k) on ("up to now": nothing later is stored but the ingest's
 *   small allowance for clock skew, which is not cut off either). Return events
 *   in the cohort's own bucket never matter: values[0] is the size.
 * - `filter` restricts events exactly as everywhere else (its group conditions
 *   ask that SOME group of the event matches); the units of a kept event are
 *   then all of its groups of `groupType`, matching or not.
 * - Lifecycle and stickiness: `eventNames: []` means any event, as in EventFilter.
 * - Groups: the current type decides; a placeholder (type null) or a deleted
 *   group (absent from `groups`) is never a unit.
 * - `cohortId` keeps units, not events: a kept event still counts for each of
 *   its units that is a member (and for no other).
 */
import type { EventFilter, PropertyFilter } from '../../src/services/analysis/filter.ts';

export interface RefEvent {
  id: string;
  name: string;
  profileId: string | null;
  groupIds: string[];
  properties: Record<string, unknown>;
  createdAt: Date;
}

export interface RefGroup {
  type: string | null;
  properties: Record<string, unknown>;
}

export interface World {
  events: RefEvent[];
  /** Current groups; deleted ones are absent, placeholders have type null. */
  groups: Map<string, RefGroup>;
  now: Date;
  /** The members of the cohorts questions name by `cohortId` (see ./cohorts.ts). */
  cohorts?: Map<string, ReadonlySet<string>>;
}

export type AnalysisUnit = 'PROFILE' | 'GROUP';
export type Interval = 'DAY' | 'WEEK' | 'MONTH';

interface UnitChoice {
  unit?: AnalysisUnit;
  groupType?: string | null;
  filter?: EventFilter | null;
  /** Only units in this cohort of `World.cohorts`; the events stay as they are (another unit of an event still sees it). */
  cohortId?: string | null;
}

export interface FunnelQuery extends UnitChoice {
  steps: { name: string; properties?: PropertyFilter[] | null }[];
  from: Date;
  to: Date;
  windowSeconds?: number;
  breakdown?: 'GROUP_PROPERTY' | 'EVENT_PROPERTY' | null;
  breakdownProperty?: string | null;
  limit?: number;
}

interface BucketChoice extends UnitChoice {
  from: Date;
  to: Date;
  interval?: Interval;
  timezone?: string;
}

export interface RetentionQuery extends BucketChoice {
  startEvent?: string | null;
  returnEvent?: string | null;
  periods?: number;
  cohortType?: 'FIRST_TIME' | 'RECURRING';
  criteria?: 'ON' | 'ON_OR_AFTER';
}

export interface LifecycleQuery extends BucketChoice {
  eventNames?: string[] | null;
}

export type StickinessQuery = LifecycleQuery;

export interface RefFunnelStep {
  index: number;
  name: string;
  count: number;
  conversionFromStart: number;
  conversionFromPrevious: number;
  dropOff: number;
  medianSecondsFromPrevious: number | null;
  /** units(dropped: false) */
  units: string[];
  /** units(dropped: true) */
  droppedUnits: string[];
}

export interface RefFunnel {
  steps: RefFunnelStep[];
  breakdowns: { value: string | null; steps: RefFunnelStep[] }[];
}

export interface RefRetention {
  cohorts: { start: string; size: number; values: number[]; fractions: number[]; complete: boolean[] }[];
  average: (number | null)[];
}

export interface RefLifecycle {
  buckets: { bucket: string; new: number; returning: number; resurrecting: number; dormant: number }[];
}

export interface RefStickiness {
  intervals: number;
  counts: number[];
}

// ---------------------------------------------------------------- filters (as src/services/analysis/filter.ts)

export const compareText = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return jsonEqual(ka, kb) && ka.every((k) => jsonEqual((a as any)[k], (b as any)[k]));
  }
  return a === b;
}

export function propertyMatches(properties: Record<string, unknown>, f: PropertyFilter): boolean {
  const has = Object.prototype.hasOwnProperty.call(properties, f.key) && properties[f.key] !== undefined;
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
      // A number compares with numbers, a string with strings (bytewise, as collation "C").
      let order: number;
      if (typeof f.value === 'number' && typeof v === 'number') order = v - f.value;
      else if (typeof f.value === 'string' && typeof v === 'string') order = compareText(v, f.value);
      else return false;
      return f.op === 'GT' ? order > 0 : f.op === 'GTE' ? order >= 0 : f.op === 'LT' ? order < 0 : order <= 0;
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

function groupMatches(group: RefGroup | undefined, f: EventFilter): boolean {
  if (!group) return false;
  if (f.groupType != null && group.type !== f.groupType) return false;
  return (f.groupProperties ?? []).every((p) => propertyMatches(group.properties, p));
}

/** The EventFilter on one event (from/to are refused by the analyses). */
export function eventMatches(e: RefEvent, f: EventFilter, world: World): boolean {
  if (f.eventNames?.length && !f.eventNames.includes(e.name)) return false;
  if (f.profileId != null && e.profileId !== f.profileId) return false;
  if (f.groupIds?.length && !e.groupIds.some((g) => f.groupIds!.includes(g))) return false;
  if (!(f.properties ?? []).every((p) => propertyMatches(e.properties, p))) return false;
  if (f.groupType != null || f.groupProperties?.length) {
    if (!e.groupIds.some((g) => groupMatches(world.groups.get(g), f))) return false;
  }
  return true;
}

/** PostgreSQL's text of a jsonb value (`->>`): null when absent or JSON null. */
export function jsonbText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : jsonbOut(value);
}

function jsonbOut(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonbOut).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    // jsonb keeps object keys ordered by length, then bytewise.
    const keys = Object.keys(value).sort((a, b) => a.length - b.length || compareText(a, b));
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbOut((value as any)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------- calendar (Intl, independent of PostgreSQL)

export interface LocalDate {
  y: number;
  mo: number;
  d: number;
}

const DAY_MS = 86_400_000;
const formats = new Map<string, Intl.DateTimeFormat>();

function wallClock(ms: number, timeZone: string) {
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
  const p = Object.fromEntries(format.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return {
    date: { y: Number(p.year), mo: Number(p.month), d: Number(p.day) },
    wall: Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    ),
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday!),
  };
}

const addDays = (date: LocalDate, days: number): LocalDate => {
  const x = new Date(Date.UTC(date.y, date.mo - 1, date.d + days));
  return { y: x.getUTCFullYear(), mo: x.getUTCMonth() + 1, d: x.getUTCDate() };
};

const midnights = new Map<string, number>();

/** The instant of local midnight of a date (the zones used never skip midnight). */
export function midnight(date: LocalDate, timeZone: string): number {
  const key = `${timeZone} ${date.y}-${date.mo}-${date.d}`;
  let instant = midnights.get(key);
  if (instant === undefined) {
    const wall = Date.UTC(date.y, date.mo - 1, date.d);
    const offsetAt = (ms: number) => wallClock(ms, timeZone).wall - (ms - (((ms % 1000) + 1000) % 1000));
    instant = wall - offsetAt(wall - offsetAt(wall));
    midnights.set(key, instant);
  }
  return instant;
}

const localDates = new Map<string, { date: LocalDate; weekday: number }>();

/** The bucket holding an instant, as its first local date (weeks start on Monday). */
export function bucketOf(ms: number, interval: Interval, timeZone: string): LocalDate {
  const key = `${timeZone} ${ms}`;
  if (!localDates.has(key)) localDates.set(key, wallClock(ms, timeZone));
  const { date, weekday } = localDates.get(key)!;
  if (interval === 'DAY') return date;
  if (interval === 'WEEK') return addDays(date, -weekday);
  return { ...date, d: 1 };
}

export function shiftBucket(date: LocalDate, interval: Interval, k: number): LocalDate {
  if (interval === 'DAY') return addDays(date, k);
  if (interval === 'WEEK') return addDays(date, 7 * k);
  const months = date.y * 12 + date.mo - 1 + k;
  return { y: Math.floor(months / 12), mo: (months % 12) + 1, d: 1 };
}

/** Buckets starting in [from, to), oldest first. */
export function bucketsIn(interval: Interval, timeZone: string, from: number, to: number): LocalDate[] {
  let date = bucketOf(from, interval, timeZone);
  if (midnight(date, timeZone) < from) date = shiftBucket(date, interval, 1);
  const out: LocalDate[] = [];
  for (; midnight(date, timeZone) < to; date = shiftBucket(date, interval, 1)) out.push(date);
  return out;
}

// ---------------------------------------------------------------- units

const ms = (e: RefEvent) => e.createdAt.getTime();
const inOrder = (a: RefEvent, b: RefEvent) => ms(a) - ms(b) || compareText(a.id, b.id);

function refuse(filter: EventFilter, funnel: boolean): void {
  if (filter.from || filter.to) throw new Error('filter.from/to are refused: the input has its own');
  if (funnel && filter.eventNames?.length) throw new Error('filter.eventNames is refused for funnels');
}

/** The units an event counts for. */
export function unitsOf(e: RefEvent, world: World, q: UnitChoice): string[] {
  let units: string[];
  if ((q.unit ?? 'PROFILE') === 'PROFILE') units = e.profileId === null ? [] : [e.profileId];
  else {
    if (q.groupType == null) throw new Error('unit GROUP needs groupType');
    units = [...new Set(e.groupIds)].filter((g) => world.groups.get(g)?.type === q.groupType);
  }
  if (q.cohortId == null) return units;
  const members = world.cohorts?.get(q.cohortId);
  if (!members) throw new Error(`the world knows no cohort ${q.cohortId}`);
  return units.filter((u) => members.has(u));
}

/** Each unit's events that pass `filter` and `keep`, in event order. */
function eventsByUnit(world: World, q: UnitChoice, keep: (e: RefEvent) => boolean): Map<string, RefEvent[]> {
  const byUnit = new Map<string, RefEvent[]>();
  for (const e of [...world.events].sort(inOrder)) {
    if (!eventMatches(e, q.filter ?? {}, world) || !keep(e)) continue;
    for (const unit of unitsOf(e, world, q)) {
      if (!byUnit.has(unit)) byUnit.set(unit, []);
      byUnit.get(unit)!.push(e);
    }
  }
  return byUnit;
}

// ---------------------------------------------------------------- funnel

function median(gapsMs: number[]): number | null {
  if (gapsMs.length === 0) return null;
  const sorted = [...gapsMs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return (sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2) / 1000;
}

export function funnel(world: World, q: FunnelQuery): RefFunnel {
  refuse(q.filter ?? {}, true);
  const steps = q.steps.length;
  const window = (q.windowSeconds ?? 1_209_600) * 1000;
  const from = q.from.getTime();
  const to = q.to.getTime();
  const matches = (e: RefEvent, step: number) =>
    e.name === q.steps[step]!.name && (q.steps[step]!.properties ?? []).every((p) => propertyMatches(e.properties, p));

  /** Most consecutive steps from `step` that distinct, unused events of `here` can match (all assignments tried). */
  const run = (step: number, here: RefEvent[], used: Set<RefEvent>): number => {
    let best = 0;
    if (step >= steps) return best;
    for (const e of here) {
      if (used.has(e) || !matches(e, step)) continue;
      used.add(e);
      best = Math.max(best, 1 + run(step + 1, here, used));
      used.delete(e);
    }
    return best;
  };

  /**
   * The chain from e1: times[j] = the earliest time at which any chain from e1
   * within the window can have matched step j (0-based); its length is the level.
   * A chain visits timestamps in order, matching at each some consecutive steps
   * with distinct events of that timestamp, so the set of "steps matched so far"
   * is followed through the window's timestamps.
   */
  const chainFrom = (e1: RefEvent, events: RefEvent[]): number[] => {
    const t1 = ms(e1);
    const at = new Map<number, RefEvent[]>();
    for (const e of events) {
      if (e === e1 || ms(e) < t1 || ms(e) > t1 + window) continue;
      if (!at.has(ms(e))) at.set(ms(e), []);
      at.get(ms(e))!.push(e);
    }
    const times = [t1];
    let matched = new Set([1]);
    for (const [time, here] of [...at].sort(([a], [b]) => a - b)) {
      const next = new Set<number>();
      for (const j of matched) for (let r = 0; r <= run(j, here, new Set()); r++) next.add(j + r);
      matched = next;
      while (times.length < Math.max(...matched)) times.push(time);
    }
    return times;
  };

  const reached = new Map<string, { times: number[]; first: RefEvent }>();
  for (const [unit, events] of eventsByUnit(world, q, () => true)) {
    let best: { times: number[]; first: RefEvent } | null = null;
    for (const e1 of events) {
      if (!matches(e1, 0) || ms(e1) < from || ms(e1) >= to) continue;
      const times = chainFrom(e1, events);
      if (!best || times.length > best.times.length) best = { times, first: e1 };
    }
    if (best) reached.set(unit, best);
  }

  const stepsOf = (units: string[]): RefFunnelStep[] => {
    const levelOf = (u: string) => reached.get(u)!.times.length;
    const count = (k: number) => units.filter((u) => levelOf(u) > k).length;
    return q.steps.map((step, k) => ({
      index: k,
      name: step.name,
      count: count(k),
      conversionFromStart: k === 0 ? 1 : count(0) === 0 ? 0 : count(k) / count(0),
      conversionFromPrevious: k === 0 ? 1 : count(k - 1) === 0 ? 0 : count(k) / count(k - 1),
      dropOff: k === steps - 1 ? 0 : count(k) - count(k + 1),
      medianSecondsFromPrevious:
        k === 0
          ? null
          : median(
              units.filter((u) => levelOf(u) > k).map((u) => reached.get(u)!.times[k]! - reached.get(u)!.times[k - 1]!),
            ),
      units: units.filter((u) => levelOf(u) > k).sort(compareText),
      droppedUnits: k === steps - 1 ? [] : units.filter((u) => levelOf(u) === k + 1).sort(compareText),
    }));
  };

  const all = [...reached.keys()];
  const result: RefFunnel = { steps: stepsOf(all), breakdowns: [] };
  if (q.breakdown) {
    if (q.breakdown === 'GROUP_PROPERTY' && q.unit !== 'GROUP') throw new Error('GROUP_PROPERTY needs unit GROUP');
    const property = q.breakdownProperty!;
    const valueOf = (u: string) =>
      jsonbText(
        q.breakdown === 'GROUP_PROPERTY'
          ? world.groups.get(u)!.properties[property]
          : reached.get(u)!.first.properties[property],
      );
    const series = new Map<string | null, string[]>();
    for (const u of all) series.set(valueOf(u), [...(series.get(valueOf(u)) ?? []), u]);
    result.breakdowns = [...series]
      .sort(([a, ua], [b, ub]) => ub.length - ua.length || (a === null ? 1 : b === null ? -1 : compareText(a, b)))
      .slice(0, q.limit ?? 10)
      .map(([value, units]) => ({ value, steps: stepsOf(units) }));
  }
  return result;
}

// ---------------------------------------------------------------- retention, lifecycle, stickiness

function bucketSetup(q: BucketChoice, defaultInterval: Interval) {
  refuse(q.filter ?? {}, false);
  const interval = q.interval ?? defaultInterval;
  const tz = q.timezone ?? 'UTC';
  const buckets = bucketsIn(interval, tz, q.from.getTime(), q.to.getTime());
  const start = (date: LocalDate, k = 0) => midnight(shiftBucket(date, interval, k), tz);
  /** Whether some time lies in bucket `date` shifted by k. */
  const activeIn = (times: number[], date: LocalDate, k = 0) => {
    const [from, to] = [start(date, k), start(date, k + 1)];
    return times.some((t) => from <= t && t < to);
  };
  return { interval, tz, buckets, start, activeIn };
}

export function retention(world: World, q: RetentionQuery): RefRetention {
  const { interval, tz, buckets, start, activeIn } = bucketSetup(q, 'WEEK');
  const periods = q.periods ?? 8;
  const from = q.from.getTime();
  const to = q.to.getTime();
  const now = world.now.getTime();
  const members = buckets.map(() => new Set<string>());
  const returns = new Map<string, number[]>();
  for (const [unit, events] of eventsByUnit(world, q, () => true)) {
    const starts = events.filter((e) => q.startEvent == null || e.name === q.startEvent).map(ms);
    returns.set(unit, events.filter((e) => q.returnEvent == null || e.name === q.returnEvent).map(ms));
    if ((q.cohortType ?? 'FIRST_TIME') === 'FIRST_TIME') {
      const first = Math.min(...starts);
      if (first < from || first >= to) continue;
      const cohort = midnight(bucketOf(first, interval, tz), tz);
      buckets.forEach((date, i) => start(date) === cohort && members[i]!.add(unit));
    } else {
      buckets.forEach((date, i) => activeIn(starts, date) && members[i]!.add(unit));
    }
  }
  const cohorts = buckets.map((date, i) => {
    const units = [...members[i]!];
    const size = units.length;
    const values = [size];
    for (let k = 1; k <= periods; k++) {
      const periodStart = start(date, k);
      const returned = (u: string) =>
        (q.criteria ?? 'ON') === 'ON'
          ? activeIn(returns.get(u)!, date, k)
          : returns.get(u)!.some((t) => t >= periodStart);
      values.push(units.filter(returned).length);
    }
    return {
      start: new Date(start(date)).toISOString(),
      size,
      values,
      fractions: values.map((v) => (size === 0 ? 0 : v / size)),
      complete: values.map((_, k) => start(date, k + 1) <= now),
    };
  });
  const average = Array.from({ length: periods + 1 }, (_, k) => {
    const counted = cohorts.filter((c) => c.complete[k] && c.size > 0);
    if (counted.length === 0) return null;
    return counted.reduce((s, c) => s + c.values[k]!, 0) / counted.reduce((s, c) => s + c.size, 0);
  });
  return { cohorts, average };
}

/** Each unit's times of events matching `eventNames` (null or empty: any, as in EventFilter) and the filter, all time. */
function activity(world: World, q: LifecycleQuery): Map<string, number[]> {
  const byUnit = eventsByUnit(world, q, (e) => !q.eventNames?.length || q.eventNames.includes(e.name));
  return new Map([...byUnit].map(([unit, events]) => [unit, events.map(ms)]));
}

export function lifecycle(world: World, q: LifecycleQuery): RefLifecycle {
  const { buckets, start, activeIn } = bucketSetup(q, 'WEEK');
  const units = [...activity(world, q)];
  return {
    buckets: buckets.map((date) => {
      const row = { bucket: new Date(start(date)).toISOString(), new: 0, returning: 0, resurrecting: 0, dormant: 0 };
      for (const [, times] of units) {
        const active = activeIn(times, date);
        const before = activeIn(times, date, -1);
        if (active && Math.min(...times) >= start(date)) row.new++;
        else if (active && before) row.returning++;
        else if (active && times.some((t) => t < start(date, -1))) row.resurrecting++;
        if (before && !active) row.dormant++;
      }
      return row;
    }),
  };
}

export function stickiness(world: World, q: StickinessQuery): RefStickiness {
  const { buckets, activeIn } = bucketSetup(q, 'DAY');
  const counts = buckets.map(() => 0);
  for (const [, times] of activity(world, q)) {
    const active = buckets.filter((date) => activeIn(times, date)).length;
    if (active > 0) counts[active - 1]!++;
  }
  return { intervals: buckets.length, counts };
}
