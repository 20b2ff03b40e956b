import { DAY_MS } from '../../../time.ts';
import { ValidationError } from '../../errors.ts';
import type { ResolvedCohort } from '../../cohorts/sql.ts';
import { requireId, requireName } from '../../validation.ts';
import { validateEventFilter, type EventFilter, type PropertyFilter } from '../filter.ts';
import { checkRange, oneOf } from '../question.ts';

// The inputs of the account-level analyses (funnel, retention, lifecycle,
// stickiness): their types, limits and defaults, and the validation that turns
// a request's input into a question with every default applied.

export const ANALYSIS_UNITS = ['PROFILE', 'GROUP'] as const;
export const RETENTION_INTERVALS = ['DAY', 'WEEK', 'MONTH'] as const;
export const RETENTION_COHORT_TYPES = ['FIRST_TIME', 'RECURRING'] as const;
export const RETENTION_CRITERIA = ['ON', 'ON_OR_AFTER'] as const;
export const FUNNEL_BREAKDOWNS = ['GROUP_PROPERTY', 'EVENT_PROPERTY'] as const;

export type AnalysisUnit = (typeof ANALYSIS_UNITS)[number];
export type RetentionInterval = (typeof RETENTION_INTERVALS)[number];
export type RetentionCohortType = (typeof RETENTION_COHORT_TYPES)[number];
export type RetentionCriteriaName = (typeof RETENTION_CRITERIA)[number];
export type FunnelBreakdown = (typeof FUNNEL_BREAKDOWNS)[number];

export const ANALYSIS_LIMITS = {
  minSteps: 2,
  maxSteps: 10,
  defaultWindowSeconds: 14 * 86_400,
  /** A window longer than the longest funnel range adds nothing. */
  maxWindowSeconds: 366 * 86_400,
  maxFunnelRangeDays: 366,
  /** Three years, leap day included. */
  maxRangeDays: 3 * 365 + 1,
  minPeriods: 1,
  maxPeriods: 52,
  defaultPeriods: 8,
  defaultSeries: 10,
  maxSeries: 100,
} as const;

/** Which units an analysis counts: profiles, or groups of one type (only the members of a cohort, if given). */
export interface UnitChoice {
  unit: AnalysisUnit;
  /** Set exactly when unit is GROUP. */
  groupType: string | null;
  /** Only units in this cohort (null or absent: every unit). */
  cohortId?: string | null;
  /**
   * The cohort of `cohortId`, loaded by the service (CohortService.resolve, which
   * checks its unit and group type) before any SQL is built; the SQL builders
   * refuse a cohortId that was not resolved.
   */
  cohort?: ResolvedCohort | null;
}

interface UnitInput {
  unit?: AnalysisUnit | null;
  groupType?: string | null;
  filter?: EventFilter | null;
  cohortId?: string | null;
}

export interface FunnelStepInput {
  name: string;
  properties?: readonly PropertyFilter[] | null;
}

export interface FunnelInput extends UnitInput {
  steps: readonly FunnelStepInput[];
  from: Date;
  to: Date;
  windowSeconds?: number | null;
  breakdown?: FunnelBreakdown | null;
  breakdownProperty?: string | null;
  limit?: number | null;
}

interface BucketInput extends UnitInput {
  from: Date;
  to: Date;
  interval?: RetentionInterval | null;
  timezone?: string | null;
}

export interface RetentionInput extends BucketInput {
  startEvent?: string | null;
  returnEvent?: string | null;
  periods?: number | null;
  cohortType?: RetentionCohortType | null;
  criteria?: RetentionCriteriaName | null;
}

export interface LifecycleInput extends BucketInput {
  eventNames?: readonly string[] | null;
}

export type StickinessInput = LifecycleInput;

export interface FunnelQuestion extends UnitChoice {
  steps: { name: string; properties: readonly PropertyFilter[] }[];
  from: Date;
  to: Date;
  windowMs: number;
  filter: EventFilter;
  breakdown: FunnelBreakdown | null;
  breakdownProperty: string | null;
  limit: number;
}

export interface BucketQuestion extends UnitChoice {
  from: Date;
  to: Date;
  interval: RetentionInterval;
  /** Not yet checked against PostgreSQL's zone names. */
  timezone: string;
  filter: EventFilter;
}

export interface RetentionQuestion extends BucketQuestion {
  /** null: any event. */
  startEvent: string | null;
  returnEvent: string | null;
  periods: number;
  cohortType: RetentionCohortType;
  criteria: RetentionCriteriaName;
}

export interface ActivityQuestion extends BucketQuestion {
  /** null: any event (an empty list too, as in EventFilter). */
  eventNames: readonly string[] | null;
}

const P = 'input.';

function unitChoice(input: UnitInput): UnitChoice {
  const unit = oneOf(input.unit, ANALYSIS_UNITS, `${P}unit`) ?? 'PROFILE';
  const cohortId = input.cohortId == null ? null : requireId(input.cohortId, `${P}cohortId`);
  if (unit === 'PROFILE') {
    if (input.groupType != null) throw new ValidationError(`${P}groupType`, 'is only used with unit GROUP');
    return { unit, groupType: null, cohortId };
  }
  if (input.groupType == null)
    throw new ValidationError(`${P}groupType`, 'is required with unit GROUP (e.g. "company")');
  return { unit, groupType: requireName(input.groupType, `${P}groupType`), cohortId };
}

/** The filter, without from/to (the input's own fields say those) and, for funnels, without eventNames. */
function analysisFilter(filter: EventFilter | null | undefined, funnel: boolean): EventFilter {
  const checked = validateEventFilter(filter ?? null, `${P}filter`);
  for (const field of ['from', 'to'] as const) {
    if (checked[field] != null)
      throw new ValidationError(`${P}filter.${field}`, `is not allowed here: use ${P}from and ${P}to`);
  }
  if (funnel && checked.eventNames != null)
    throw new ValidationError(`${P}filter.eventNames`, 'is not allowed in a funnel: the steps name the events');
  return checked;
}

function range(input: { from: Date; to: Date }, maxDays: number): { from: Date; to: Date } {
  const checked = checkRange(input.from, input.to, P);
  if (checked.to.getTime() - checked.from.getTime() > maxDays * DAY_MS)
    throw new ValidationError(`${P}to`, `the range may span at most ${maxDays} days`);
  return checked;
}

function integerIn(value: number, min: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ValidationError(field, `must be an integer from ${min} to ${max}`);
  return value;
}

export function validateFunnel(input: FunnelInput): FunnelQuestion {
  const L = ANALYSIS_LIMITS;
  if (!Array.isArray(input.steps) || input.steps.length < L.minSteps || input.steps.length > L.maxSteps)
    throw new ValidationError(`${P}steps`, `a funnel has ${L.minSteps} to ${L.maxSteps} steps`);
  const steps = input.steps.map((step, i) => {
    const name = requireName(step.name, `${P}steps[${i}].name`);
    // Step filters are EventFilter property filters: validated the same way.
    const { properties } = validateEventFilter({ properties: step.properties ?? [] }, `${P}steps[${i}]`);
    return { name, properties: properties ?? [] };
  });
  const choice = unitChoice(input);
  const { from, to } = range(input, L.maxFunnelRangeDays);
  const windowSeconds = integerIn(
    input.windowSeconds ?? L.defaultWindowSeconds,
    1,
    L.maxWindowSeconds,
    `${P}windowSeconds`,
  );
  const breakdown = oneOf(input.breakdown, FUNNEL_BREAKDOWNS, `${P}breakdown`);
  let breakdownProperty: string | null = null;
  if (breakdown) {
    if (breakdown === 'GROUP_PROPERTY' && choice.unit !== 'GROUP')
      throw new ValidationError(`${P}breakdown`, 'GROUP_PROPERTY needs unit GROUP');
    if (input.breakdownProperty == null)
      throw new ValidationError(`${P}breakdownProperty`, `is required with breakdown ${breakdown}`);
    breakdownProperty = requireName(input.breakdownProperty, `${P}breakdownProperty`);
  } else if (input.breakdownProperty != null) {
    throw new ValidationError(`${P}breakdownProperty`, 'is only used with a breakdown');
  }
  const limit = integerIn(input.limit ?? L.defaultSeries, 1, L.maxSeries, `${P}limit`);
  return {
    ...choice,
    steps,
    from,
    to,
    windowMs: windowSeconds * 1000,
    filter: analysisFilter(input.filter, true),
    breakdown,
    breakdownProperty,
    limit,
  };
}

function bucketQuestion(input: BucketInput, defaultInterval: RetentionInterval): BucketQuestion {
  const choice = unitChoice(input);
  const { from, to } = range(input, ANALYSIS_LIMITS.maxRangeDays);
  return {
    ...choice,
    from,
    to,
    interval: oneOf(input.interval, RETENTION_INTERVALS, `${P}interval`) ?? defaultInterval,
    timezone: input.timezone ?? 'UTC',
    filter: analysisFilter(input.filter, false),
  };
}

const optionalName = (name: string | null | undefined, field: string) =>
  name == null ? null : requireName(name, field);

export function validateRetention(input: RetentionInput): RetentionQuestion {
  const L = ANALYSIS_LIMITS;
  return {
    ...bucketQuestion(input, 'WEEK'),
    startEvent: optionalName(input.startEvent, `${P}startEvent`),
    returnEvent: optionalName(input.returnEvent, `${P}returnEvent`),
    periods: integerIn(input.periods ?? L.defaultPeriods, L.minPeriods, L.maxPeriods, `${P}periods`),
    cohortType: oneOf(input.cohortType, RETENTION_COHORT_TYPES, `${P}cohortType`) ?? 'FIRST_TIME',
    criteria: oneOf(input.criteria, RETENTION_CRITERIA, `${P}criteria`) ?? 'ON',
  };
}

function activityQuestion(input: LifecycleInput, defaultInterval: RetentionInterval): ActivityQuestion {
  const names = input.eventNames ?? null;
  if (names && names.length > 100) throw new ValidationError(`${P}eventNames`, 'at most 100 names');
  names?.forEach((n, i) => requireName(n, `${P}eventNames[${i}]`));
  return { ...bucketQuestion(input, defaultInterval), eventNames: names?.length ? names : null };
}

export const validateLifecycle = (input: LifecycleInput): ActivityQuestion => activityQuestion(input, 'WEEK');
export const validateStickiness = (input: StickinessInput): ActivityQuestion => activityQuestion(input, 'DAY');
