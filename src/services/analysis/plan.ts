import { HOUR_MS } from '../../time.ts';
import { hasGroupConditions, hasProfileCohort, hasPropertyFilters } from './filter.ts';
import { isGroupBreakdown, type Question } from './question.ts';

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

/** Where a question's events are read. */
export type Storage =
  /** Hourly rollups for the rollup hours, raw events for the edge hours. */
  | { path: 'rollup'; table: RollupTable; hours: HourTiling }
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
  /** Events considered: [rangeStart, rangeEnd). */
  rangeStart: Date;
  rangeEnd: Date;
  storage: Storage;
  columns: UnitColumns;
}

/** The rollup that holds every dimension the question needs, or null when none does. */
function rollupTable(q: Question): RollupTable | null {
  if (hasPropertyFilters(q.filter)) return null;
  const names = (q.filter.eventNames?.length ?? 0) > 0 || q.breakdown === 'EVENT_NAME';
  const profiles = q.filter.profileId != null || hasProfileCohort(q.filter) || q.metric === 'UNIQUE_PROFILES';
  if (names && profiles) return null;
  if (names) return 'RollupHourName';
  if (profiles) return 'RollupHourProfile';
  return 'RollupHour';
}

/** EventGroup answers exactly when the events are chosen by group id alone. */
const eventGroupsFit = (q: Question) => (q.filter.groupIds?.length ?? 0) > 0 && !hasGroupConditions(q.filter);

function chooseStorage(q: Question, rangeStart: Date, rangeEnd: Date, cuts: Date[]): Storage {
  if (rangeStart.getTime() >= rangeEnd.getTime()) return { path: 'none' };
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
  const columns: UnitColumns = {
    sets: q.metric === 'UNIQUE_GROUPS' || isGroupBreakdown(q.breakdown),
    name: q.breakdown === 'EVENT_NAME',
    profile: q.metric === 'UNIQUE_PROFILES',
  };
  const rangeEnd = minDate(q.to, q.filter.to);
  if (!q.interval) {
    const rangeStart = maxDate(q.from, q.filter.from);
    return {
      question: q,
      starts: [q.from],
      outputs: [1],
      labels: [q.from],
      window: 1,
      rangeStart,
      rangeEnd,
      storage: chooseStorage(q, rangeStart, rangeEnd, []),
      columns,
    };
  }
  if (!boundaries) throw new Error(`a question with interval ${q.interval} needs its bucket boundaries`);
  const lookback = q.rolling - 1;
  const starts = boundaries.slice(0, -1);
  // Rolling windows are whole local days, also before `from`; plain buckets start at `from`.
  const rangeStart = maxDate(lookback > 0 ? starts[0]! : q.from, q.filter.from);
  const inside = boundaries.filter((b) => b.getTime() > rangeStart.getTime() && b.getTime() < rangeEnd.getTime());
  return {
    question: q,
    starts,
    outputs: starts.slice(lookback).map((_, i) => i + lookback + 1),
    labels: starts.slice(lookback),
    window: q.rolling,
    rangeStart,
    rangeEnd,
    storage: chooseStorage(q, rangeStart, rangeEnd, inside),
    columns,
  };
}
