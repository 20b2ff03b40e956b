import { ValidationError } from '../errors.ts';
import { LIMITS, queryTime, requireComparableJson, requireId, requireIdList, requireName } from '../validation.ts';
import type { ResolvedCohort } from '../cohorts/sql.ts';

// The EventFilter: which events a question (or an events page) is about, and its
// validation. Its SQL is in filterSql.ts.

export const FILTER_OPS = ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE', 'CONTAINS', 'IN', 'EXISTS'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface PropertyFilter {
  key: string;
  op: FilterOp;
  value?: unknown;
}

/** Which events a query is about. All parts must hold. */
export interface EventFilter {
  eventNames?: readonly string[] | null;
  profileId?: string | null;
  /** Events tagged with any of these groups. */
  groupIds?: readonly string[] | null;
  /** Events tagged with a group of this type (that also matches groupProperties). */
  groupType?: string | null;
  /** Inclusive. */
  from?: Date | null;
  /** Exclusive. */
  to?: Date | null;
  /** On the event's properties. */
  properties?: readonly PropertyFilter[] | null;
  /** On the properties of the event's groups: some group of the event matches all of them. */
  groupProperties?: readonly PropertyFilter[] | null;
  /** Events of the cohort's members: tagged with a member group, or of a member profile. */
  cohortId?: string | null;
  /**
   * The cohort of `cohortId`, loaded by CohortService.resolveFilter before any
   * SQL is built (the SQL builders refuse a cohortId that was not resolved).
   */
  cohort?: ResolvedCohort | null;
}

const MAX_FILTERS = 20;
const MAX_IN_VALUES = 1000;

/** Validates one property filter (its key, and a value that fits its op). */
export function checkValue(filter: PropertyFilter, field: string): void {
  requireName(filter.key, `${field}.key`);
  const value = filter.value;
  // NUL or a lone surrogate would reach PostgreSQL's jsonb and text parsers.
  requireComparableJson(value, `${field}.value`);
  switch (filter.op) {
    case 'EQ':
    case 'NEQ':
      if (value === undefined) throw new ValidationError(`${field}.value`, `${filter.op} needs a value`);
      return;
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE':
      if (typeof value !== 'number' && typeof value !== 'string') {
        throw new ValidationError(`${field}.value`, `${filter.op} compares with a number or a string`);
      }
      return;
    case 'CONTAINS':
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        throw new ValidationError(`${field}.value`, 'CONTAINS needs a string, number or boolean');
      }
      return;
    case 'IN':
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN_VALUES) {
        throw new ValidationError(`${field}.value`, `IN needs a list of 1 to ${MAX_IN_VALUES} values`);
      }
      return;
    case 'EXISTS':
      if (value !== undefined && value !== null && typeof value !== 'boolean') {
        throw new ValidationError(`${field}.value`, 'EXISTS takes true (default) or false');
      }
      return;
    default:
      throw new ValidationError(`${field}.op`, `must be one of ${FILTER_OPS.join(', ')}`);
  }
}

/** Validates a filter; throws VALIDATION_FAILED naming the offending field (under `path`). */
export function validateEventFilter(filter: EventFilter | null | undefined, path = 'filter'): EventFilter {
  if (!filter) return {};
  if (filter.eventNames) {
    if (filter.eventNames.length > LIMITS.groupsPerEvent)
      throw new ValidationError(`${path}.eventNames`, `at most ${LIMITS.groupsPerEvent} names`);
    filter.eventNames.forEach((n, i) => requireName(n, `${path}.eventNames[${i}]`));
  }
  if (filter.profileId != null) requireId(filter.profileId, `${path}.profileId`);
  if (filter.groupIds) requireIdList(filter.groupIds, `${path}.groupIds`);
  if (filter.groupType != null) requireName(filter.groupType, `${path}.groupType`);
  if (filter.cohortId != null) requireId(filter.cohortId, `${path}.cohortId`);
  queryTime(filter.from, `${path}.from`);
  queryTime(filter.to, `${path}.to`);
  if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime()) {
    throw new ValidationError(`${path}.to`, 'must not be before from');
  }
  for (const [name, list] of [
    ['properties', filter.properties],
    ['groupProperties', filter.groupProperties],
  ] as const) {
    if (!list) continue;
    if (list.length > MAX_FILTERS) throw new ValidationError(`${path}.${name}`, `at most ${MAX_FILTERS} filters`);
    list.forEach((f, i) => checkValue(f, `${path}.${name}[${i}]`));
  }
  return filter;
}

/** Conditions on the event's groups (their type, properties or cohort), as opposed to which groups. */
export const hasGroupConditions = (f: EventFilter) =>
  f.groupType != null || (f.groupProperties?.length ?? 0) > 0 || cohortOf(f)?.definition.unit === 'GROUP';

/** A cohort of profiles restricts events by their profile, like `profileId`. */
export const hasProfileCohort = (f: EventFilter) => cohortOf(f)?.definition.unit === 'PROFILE';

/** The filter's resolved cohort; a cohortId nobody resolved is a bug, never silently ignored. */
export function cohortOf(f: EventFilter): ResolvedCohort | null {
  if (f.cohortId == null) return null;
  if (!f.cohort || f.cohort.id !== f.cohortId) throw new Error('EventFilter.cohortId was not resolved before use');
  return f.cohort;
}

/** Conditions on the event's own properties, which no rollup holds. */
export const hasPropertyFilters = (f: EventFilter) => (f.properties?.length ?? 0) > 0;
