import { DAY_MS, HOUR_MS } from '../../time.ts';
import { hasGroupConditions, hasProfileCohort, hasPropertyFilters } from './filter.ts';
import { isGroupBreakdown, timedPropertyKeys, type Question } from './question.ts';

// The plan of a question, decided without the database (pure, unit-tested in
// test/analysis.plan.test.ts): its buckets, the time range it reads, and where
// each hour of that range is read from. See docs/architecture.md, "Read path".

export type RollupTable = 'RollupHour' | 'RollupHourProfile' | 'RollupHourName';

/** UTC hours [from, to); a null end is open (all time). */
export interface HourSpan {
  from: Date | null;
  to: Date | null;
}

/**
 * A time range split by the one rule of the read path: whole UTC hours come
 * from the hourly rollups, the hours a cut falls inside (the ends of the range,
 * a bucket boundary off the hour) from the raw events. Every instant of the
 * range is in exactly one of the two.
 */
export interface HourTiling {
  /** Hours read from the rollups: this span without its edge hours; null when it holds no hour. */
  rollupHours: HourSpan | null;
  /** Hours a cut falls inside, ascending: read from the raw events, clipped to the range. */
  edgeHours: Date[];
}

const floorHour = (ms: number) => ms - (((ms % HOUR_MS) + HOUR_MS) % HOUR_MS);
const ceilHour = (ms: number) => floorHour(ms - 1) + HOUR_MS;

/**
 * Tiles [start, end) (null: open) into rollup hours and edge hours. `cuts` are
 * further instants inside the range where a bucket ends: an hour they cut cannot
 * come from a rollup, which cannot split it.
 */
export function tileHours(start: Date | null, end: Date | null, cuts: readonly Date[] = []): HourTiling {
  const from = start ? ceilHour(start.getTime()) : null;
  const to = end ? floorHour(end.getTime()) : null;
  const rollupHours =
    from !== null && to !== null && to <= from
      ? null
      : { from: from === null ? null : new Date(from), to: to === null ? null : new Date(to) };
  const edges = new Set<number>();
  for (const cut of [start, end, ...cuts]) {
    if (cut && cut.getTime() % HOUR_MS !== 0) edges.add(floorHour(cut.getTime()));
  }
  return { rollupHours, edgeHours: [...edges].sort((a, b) => a - b).map((ms) => new Date(ms)) };
}

export type ActivityTable = 'GroupActivityDay' | 'ProfileActivityDay';

/**
 * The rollup hours of a unique-count question as pieces of UTC days: in day
 * `days[i]`, the hours whose bits are set in `masks[i]` all lie in base bucket
 * `buckets[i]`. A unit (group or profile) is active in a piece exactly when its
 * daily `hours` bits meet the mask, so a day split by a bucket boundary (a local
 * day in Europe/Berlin) or cut by the range is still exact.
 */
export interface DayPieces {
  days: Date[];
  buckets: number[];
  masks: number[];
}

/** Where a question's events are read. */
export type Storage =
  /** Hourly rollups for the rollup hours, raw events for the edge hours. */
  | { path: 'rollup'; table: RollupTable; hours: HourTiling }
  /** Unique groups or profiles: the daily activity rows for the rollup hours, raw events for the edge hours. */
  | { path: 'activityDays'; table: ActivityTable; pieces: DayPieces; edgeHours: Date[] }
  /** The EventGroup index: events chosen by group id alone, with filters no rollup holds. */
  | { path: 'eventGroups' }
  /** The raw events: what no rollup holds (event-property filters, event names with profiles). */
  | { path: 'events' }
  /** The range is empty (the filter's from/to lie outside the question's). */
  | { path: 'none' };

/**
 * The unit columns a question needs. The others are NULL, so units collapse to
 * one row per bucket and needed value before anything is joined.
 */
export interface UnitColumns {
  /** Group set (gs) and, for raw units, its groups: group breakdowns and UNIQUE_GROUPS. */
  sets: boolean;
  name: boolean;
  profile: boolean;
  /** The event property of an EVENT_PROPERTY breakdown, as text. */
  prop: boolean;
}

/**
 * Units are assigned to "base" buckets by width_bucket over `starts`; each
 * output point covers the base buckets (window - 1 .. 0) before its own
 * (`outputs`, 1-based), labelled `labels`.
 */
export interface Plan {
  question: Question;
  starts: Date[];
  outputs: number[];
  labels: Date[];
  window: number;
  /** Events considered: [rangeStart, rangeEnd), the previous period of compareTo included. */
  rangeStart: Date;
  rangeEnd: Date;
  /**
   * With compareTo: the question's `from`. Events before it belong to the
   * previous period and go to base bucket 0, whose cells make `previousTotal`.
   */
  previousEnd: Date | null;
  storage: Storage;
  columns: UnitColumns;
  /**
   * propertiesAt EVENT_TIME: group properties the question uses are taken at
   * each event's time. The storage is chosen as for NOW; the statement splits
   * each group set's units into the periods in which none of its groups'
   * values change (sql.ts, timedProperties.ts).
   */
  timed: boolean;
}

/** The rollup that holds every dimension the question needs, or null when none does. */
function rollupTable(q: Question): RollupTable | null {
  if (hasPropertyFilters(q.filter) || q.breakdown === 'EVENT_PROPERTY') return null;
  const names = (q.filter.eventNames?.length ?? 0) > 0 || q.breakdown === 'EVENT_NAME';
  const profiles =
    q.filter.profileId != null ||
    hasProfileCohort(q.filter) ||
    q.metric === 'UNIQUE_PROFILES' ||
    q.breakdown === 'PROFILE';
  if (names && profiles) return null;
  if (names) return 'RollupHourName';
  if (profiles) return 'RollupHourProfile';
  return 'RollupHour';
}

/**
 * The daily activity table that answers a question, or null. A group is
 * counted when some event carries it and it meets the group conditions itself,
 * so GroupActivityDay answers UNIQUE_GROUPS whenever nothing but groups narrows
 * the events and the series come from the group; and, with its daily event
 * counts, EVENTS by GROUP (an event counts once in each of its groups' series)
 * over whole UTC days. ProfileActivityDay knows nothing but the profile: no
 * filter beyond a profile id.
 */
function activityTable(q: Question): ActivityTable | null {
  const f = q.filter;
  if (hasPropertyFilters(f) || (f.eventNames?.length ?? 0) > 0) return null;
  // A cohort of profiles narrows events by profile, which the group rows do not know;
  // group properties at the event's time need the periods of the rollup or raw path.
  if (hasProfileCohort(f) || timedPropertyKeys(q).length > 0) return null;
  if (q.metric === 'UNIQUE_GROUPS' && f.profileId == null && (q.breakdown === null || isGroupBreakdown(q.breakdown)))
    return 'GroupActivityDay';
  if (q.metric === 'EVENTS' && f.profileId == null && q.breakdown === 'GROUP') return 'GroupActivityDay';
  if (
    q.metric === 'UNIQUE_PROFILES' &&
    !f.groupIds?.length &&
    !hasGroupConditions(f) &&
    (q.breakdown === null || q.breakdown === 'PROFILE')
  )
    return 'ProfileActivityDay';
  return null;
}

/**
 * The whole hours of `span` (none of them an edge hour) as day pieces. An hour
 * is wholly inside one bucket (no boundary cuts it), found as width_bucket
 * would; with compareTo, hours before `previousEnd` are bucket 0.
 */
/** The hour mask of a whole UTC day. */
export const WHOLE_DAY = 0xffffff;

export function dayPieces(span: HourSpan, edgeHours: Date[], starts: Date[], previousEnd: Date | null): DayPieces {
  const pieces: DayPieces = { days: [], buckets: [], masks: [] };
  if (!span.from || !span.to) throw new Error('day pieces need a closed span');
  const edges = new Set(edgeHours.map((h) => h.getTime()));
  let b = 0;
  for (let hour = span.from.getTime(); hour < span.to.getTime(); hour += HOUR_MS) {
    if (edges.has(hour)) continue;
    while (b < starts.length && starts[b]!.getTime() <= hour) b++;
    const bucket = previousEnd && hour < previousEnd.getTime() ? 0 : b;
    const day = hour - (((hour % DAY_MS) + DAY_MS) % DAY_MS);
    const last = pieces.days.length - 1;
    const bit = 1 << ((hour - day) / HOUR_MS);
    if (last >= 0 && pieces.days[last]!.getTime() === day && pieces.buckets[last] === bucket)
      pieces.masks[last]! |= bit;
    else {
      pieces.days.push(new Date(day));
      pieces.buckets.push(bucket);
      pieces.masks.push(bit);
    }
  }
  return pieces;
}

/** EventGroup answers exactly when the events are chosen by group id alone. */
const eventGroupsFit = (q: Question) => (q.filter.groupIds?.length ?? 0) > 0 && !hasGroupConditions(q.filter);

function chooseStorage(
  q: Question,
  rangeStart: Date,
  rangeEnd: Date,
  cuts: Date[],
  starts: Date[],
  previousEnd: Date | null,
): Storage {
  if (rangeStart.getTime() >= rangeEnd.getTime()) return { path: 'none' };
  const activity = activityTable(q);
  if (activity) {
    const hours = tileHours(rangeStart, rangeEnd, cuts);
    const pieces = hours.rollupHours
      ? dayPieces(hours.rollupHours, hours.edgeHours, starts, previousEnd)
      : { days: [], buckets: [], masks: [] };
    // Daily event counts cannot be split: event counts take this path only for whole UTC days.
    if (q.metric !== 'EVENTS' || pieces.masks.every((m) => m === WHOLE_DAY))
      return { path: 'activityDays', table: activity, pieces, edgeHours: hours.edgeHours };
  }
  const table = rollupTable(q);
  if (table) return { path: 'rollup', table, hours: tileHours(rangeStart, rangeEnd, cuts) };
  return eventGroupsFit(q) ? { path: 'eventGroups' } : { path: 'events' };
}

/** The later of two instants (b may be missing). */
export const maxDate = (a: Date, b: Date | null | undefined) => (b && b.getTime() > a.getTime() ? b : a);
/** The earlier of two instants (b may be missing). */
export const minDate = (a: Date, b: Date | null | undefined) => (b && b.getTime() < a.getTime() ? b : a);

/**
 * Plans a question. `boundaries` are its bucket boundaries as BucketBoundaries
 * lists them (null without interval: one bucket).
 */
export function planQuestion(q: Question, boundaries: readonly Date[] | null): Plan {
  const timed = timedPropertyKeys(q).length > 0;
  const columns: UnitColumns = {
    // Timed group conditions are evaluated per group set and period, so they need the sets.
    sets: q.metric === 'UNIQUE_GROUPS' || isGroupBreakdown(q.breakdown) || timed,
    name: q.breakdown === 'EVENT_NAME',
    profile: q.metric === 'UNIQUE_PROFILES' || q.breakdown === 'PROFILE',
    prop: q.breakdown === 'EVENT_PROPERTY',
  };
  const rangeEnd = minDate(q.to, q.filter.to);
  // compareTo reads the previous period too; `from` then cuts the range like a bucket boundary.
  const previousEnd = q.previousFrom ? q.from : null;
  const compareCuts = (rangeStart: Date) =>
    previousEnd && previousEnd.getTime() > rangeStart.getTime() && previousEnd.getTime() < rangeEnd.getTime()
      ? [previousEnd]
      : [];
  if (!q.interval) {
    const rangeStart = maxDate(q.previousFrom ?? q.from, q.filter.from);
    return {
      question: q,
      starts: [q.from],
      outputs: [1],
      labels: [q.from],
      window: 1,
      rangeStart,
      rangeEnd,
      previousEnd,
      storage: chooseStorage(q, rangeStart, rangeEnd, compareCuts(rangeStart), [q.from], previousEnd),
      columns,
      timed,
    };
  }
  if (!boundaries) throw new Error(`a question with interval ${q.interval} needs its bucket boundaries`);
  const lookback = q.rolling - 1;
  const starts = boundaries.slice(0, -1);
  // Rolling windows are whole local days, also before `from`; plain buckets start at `from`.
  const rangeStart = maxDate(lookback > 0 ? starts[0]! : (q.previousFrom ?? q.from), q.filter.from);
  const inside = boundaries.filter((b) => b.getTime() > rangeStart.getTime() && b.getTime() < rangeEnd.getTime());
  inside.push(...compareCuts(rangeStart));
  return {
    question: q,
    starts,
    outputs: starts.slice(lookback).map((_, i) => i + lookback + 1),
    labels: starts.slice(lookback),
    window: q.rolling,
    rangeStart,
    rangeEnd,
    previousEnd,
    storage: chooseStorage(q, rangeStart, rangeEnd, inside, starts, previousEnd),
    columns,
    timed,
  };
}
