import { DAY_MS, HOUR_MS, WEEK_MS } from '../../time.ts';
import { ValidationError } from '../errors.ts';
import { queryTime, requireName } from '../validation.ts';
import { validateEventFilter, type EventFilter } from './filter.ts';

// The question eventAggregation answers: its types, limits and defaults, and
// the validation that turns a request's input into a Question.

export const AGGREGATION_METRICS = ['EVENTS', 'UNIQUE_PROFILES', 'UNIQUE_GROUPS'] as const;
export const AGGREGATION_INTERVALS = ['HOUR', 'DAY', 'WEEK', 'MONTH'] as const;
/** Whose group properties a question uses: today's, or each group's value when the event happened. */
export const PROPERTIES_AT = ['NOW', 'EVENT_TIME'] as const;
export const AGGREGATION_BREAKDOWNS = [
  'GROUP',
  'GROUP_TYPE',
  'GROUP_PROPERTY',
  'EVENT_NAME',
  'PROFILE',
  'EVENT_PROPERTY',
] as const;
export const ORDER_DIRECTIONS = ['ASC', 'DESC'] as const;
/** What series are ranked by: their total, or (with compareTo) their change against the previous period. */
export const SERIES_ORDERS = ['TOTAL', 'CHANGE_PERCENT'] as const;
export const AGGREGATION_COMPARISONS = ['PREVIOUS_PERIOD'] as const;

export type AggregationMetric = (typeof AGGREGATION_METRICS)[number];
export type AggregationInterval = (typeof AGGREGATION_INTERVALS)[number];
export type AggregationBreakdown = (typeof AGGREGATION_BREAKDOWNS)[number];
export type PropertiesAt = (typeof PROPERTIES_AT)[number];
export type OrderDirection = (typeof ORDER_DIRECTIONS)[number];
export type SeriesOrder = (typeof SERIES_ORDERS)[number];
export type AggregationComparison = (typeof AGGREGATION_COMPARISONS)[number];

export const AGGREGATION_LIMITS = {
  /** Buckets per series (HOUR: about 125 days). */
  maxBuckets: 3000,
  /** Series × buckets in one answer. */
  maxPoints: 100_000,
  maxSeries: 100,
  defaultSeries: 10,
  maxRollingDays: 365,
  /** Series skipped by `offset` (paging through every group of a large project). */
  maxOffset: 100_000,
} as const;

/** Ranges without `from` cover the 30 days before `to`. */
const DEFAULT_RANGE_MS = 30 * DAY_MS;

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
  /** The group property of a GROUP_PROPERTY breakdown, the event property of an EVENT_PROPERTY one. */
  breakdownProperty?: string | null;
  filter?: EventFilter | null;
  /** Top series by total. */
  limit?: number | null;
  /** Series skipped before the `limit` returned ones, in the chosen order. */
  offset?: number | null;
  /** Direction of the series order; default DESC (largest first). */
  order?: OrderDirection | null;
  /** What the series are ordered by; default TOTAL. CHANGE_PERCENT needs compareTo. */
  orderBy?: SeriesOrder | null;
  /** PREVIOUS_PERIOD: each series also gets its total over the equal-length period just before `from`. */
  compareTo?: AggregationComparison | null;
  /** DAY only: each point counts the trailing N local days ending with its day. */
  rollingDays?: number | null;
  /** Group property values of GROUP_PROPERTY breakdowns and groupProperties filters; default NOW. */
  propertiesAt?: PropertiesAt | null;
}

/** A validated eventAggregation input, every default applied. */
export interface Question {
  metric: AggregationMetric;
  from: Date;
  to: Date;
  interval: AggregationInterval | null;
  /** Not yet checked against PostgreSQL's zone names: boundaries.ts does that. */
  timezone: string;
  /** Where the input's fields sit in the request ('input.' or ''), for errors found later. */
  fieldPrefix: string;
  breakdown: AggregationBreakdown | null;
  /** The group property of a GROUP_PROPERTY breakdown, the event property of an EVENT_PROPERTY one. */
  property: string | null;
  filter: EventFilter;
  limit: number;
  offset: number;
  order: OrderDirection;
  orderBy: SeriesOrder;
  /** Start of the previous period [previousFrom, from) of compareTo; null without compareTo. */
  previousFrom: Date | null;
  /** Local days each point counts (1 without rollingDays). */
  rolling: number;
  propertiesAt: PropertiesAt;
}

/** Shortest a bucket of each interval can be, for the bucket-count estimate. */
const INTERVAL_MS: Record<AggregationInterval, number> = {
  HOUR: HOUR_MS,
  DAY: DAY_MS,
  WEEK: WEEK_MS,
  MONTH: 28 * DAY_MS,
};

const validDate = (value: Date | null | undefined): value is Date =>
  value instanceof Date && !Number.isNaN(value.getTime());

export function oneOf<T extends string>(value: T | null | undefined, allowed: readonly T[], field: string): T | null {
  if (value == null) return null;
  if (!allowed.includes(value)) throw new ValidationError(field, `must be one of ${allowed.join(', ')}`);
  return value;
}

/** A range with its defaults: `to` now, `from` 30 days before `to`. */
export function defaultRange(
  range: { from?: Date | null; to?: Date | null },
  now: Date,
  prefix = '',
): { from: Date; to: Date } {
  queryTime(range.from, `${prefix}from`);
  const to = queryTime(range.to, `${prefix}to`) ?? now;
  return { from: range.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS), to };
}

/** `prefix` is the path of the object holding from/to ('' for field arguments). */
export function checkRange(
  from: Date | null | undefined,
  to: Date | null | undefined,
  prefix: string,
): { from: Date; to: Date } {
  if (!validDate(from)) throw new ValidationError(`${prefix}from`, 'is required and must be a valid date-time');
  if (!validDate(to)) throw new ValidationError(`${prefix}to`, 'is required and must be a valid date-time');
  queryTime(from, `${prefix}from`);
  queryTime(to, `${prefix}to`);
  if (to.getTime() <= from.getTime()) throw new ValidationError(`${prefix}to`, 'must be after from');
  return { from, to };
}

/** Rough bucket count, checked before PostgreSQL generates anything. */
export function checkBuckets(
  interval: AggregationInterval | null,
  from: Date,
  to: Date,
  extraDays: number,
  field: string,
): number {
  if (!interval) return 1;
  const estimate = Math.ceil((to.getTime() - from.getTime() + extraDays * DAY_MS) / INTERVAL_MS[interval]) + 2;
  if (estimate > AGGREGATION_LIMITS.maxBuckets) {
    throw new ValidationError(
      field,
      `${interval} over this range makes about ${estimate} buckets; at most ${AGGREGATION_LIMITS.maxBuckets} are allowed — choose a coarser interval or a shorter range`,
    );
  }
  return estimate;
}

/**
 * `prefix` is where the fields sit in the request: 'input.' for eventAggregation,
 * '' for field arguments. `now` is the default end of the range.
 */
export function validateQuestion(input: AggregationInput, prefix = 'input.', now = new Date()): Question {
  const metric = oneOf(input.metric, AGGREGATION_METRICS, `${prefix}metric`);
  if (!metric) throw new ValidationError(`${prefix}metric`, 'is required');
  const range = defaultRange(input, now, prefix);
  const { from, to } = checkRange(range.from, range.to, prefix);
  const interval = oneOf(input.interval, AGGREGATION_INTERVALS, `${prefix}interval`);
  const breakdown = oneOf(input.breakdown, AGGREGATION_BREAKDOWNS, `${prefix}breakdown`);
  let property: string | null = null;
  if (breakdown === 'GROUP_PROPERTY' || breakdown === 'EVENT_PROPERTY') {
    if (input.breakdownProperty == null)
      throw new ValidationError(`${prefix}breakdownProperty`, `is required with breakdown ${breakdown}`);
    property = requireName(input.breakdownProperty, `${prefix}breakdownProperty`);
  } else if (input.breakdownProperty != null) {
    throw new ValidationError(
      `${prefix}breakdownProperty`,
      'is only used with breakdown GROUP_PROPERTY or EVENT_PROPERTY',
    );
  }
  const limit = input.limit ?? AGGREGATION_LIMITS.defaultSeries;
  if (!Number.isInteger(limit) || limit < 1 || limit > AGGREGATION_LIMITS.maxSeries) {
    throw new ValidationError(`${prefix}limit`, `must be between 1 and ${AGGREGATION_LIMITS.maxSeries}`);
  }
  const offset = input.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > AGGREGATION_LIMITS.maxOffset) {
    throw new ValidationError(`${prefix}offset`, `must be between 0 and ${AGGREGATION_LIMITS.maxOffset}`);
  }
  const order = oneOf(input.order, ORDER_DIRECTIONS, `${prefix}order`) ?? 'DESC';
  const orderBy = oneOf(input.orderBy, SERIES_ORDERS, `${prefix}orderBy`) ?? 'TOTAL';
  const compareTo = oneOf(input.compareTo, AGGREGATION_COMPARISONS, `${prefix}compareTo`);
  if (orderBy === 'CHANGE_PERCENT' && !compareTo)
    throw new ValidationError(`${prefix}orderBy`, 'CHANGE_PERCENT needs compareTo');
  // A rolling point already reaches back before `from`; a previous period of it would be ambiguous.
  if (compareTo && input.rollingDays != null)
    throw new ValidationError(`${prefix}compareTo`, 'cannot be combined with rollingDays');
  const previousFrom = compareTo ? new Date(2 * from.getTime() - to.getTime()) : null;
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
  const propertiesAt = oneOf(input.propertiesAt, PROPERTIES_AT, `${prefix}propertiesAt`) ?? 'NOW';
  return {
    metric,
    from,
    to,
    interval,
    timezone: input.timezone ?? 'UTC',
    fieldPrefix: prefix,
    breakdown,
    property,
    filter,
    limit,
    offset,
    order,
    orderBy,
    previousFrom,
    rolling,
    propertiesAt,
  };
}

/**
 * The group property keys whose value a question takes at each event's time:
 * the breakdown property and the keys of groupProperties filters, with
 * propertiesAt EVENT_TIME; empty otherwise (today's values, or none needed).
 */
export function timedPropertyKeys(q: Question): string[] {
  if (q.propertiesAt !== 'EVENT_TIME') return [];
  const keys = new Set<string>();
  if (q.breakdown === 'GROUP_PROPERTY' && q.property != null) keys.add(q.property);
  for (const f of q.filter.groupProperties ?? []) keys.add(f.key);
  return [...keys].sort();
}

/** The question of EventAggregation.total: the whole range as one bucket, without breakdown. */
export function totalInput(input: AggregationInput): AggregationInput {
  return {
    ...input,
    interval: null,
    breakdown: null,
    breakdownProperty: null,
    rollingDays: null,
    limit: 1,
    offset: null,
    order: null,
    orderBy: null,
    compareTo: null,
  };
}

/** Breakdowns whose series keys come from the event's groups. */
export const isGroupBreakdown = (b: AggregationBreakdown | null) =>
  b === 'GROUP' || b === 'GROUP_TYPE' || b === 'GROUP_PROPERTY';

/** Breakdowns whose series keys come from the event itself: its name, profile or a property. */
export const isEventBreakdown = (b: AggregationBreakdown | null) =>
  b === 'EVENT_NAME' || b === 'PROFILE' || b === 'EVENT_PROPERTY';
