import { ValidationError } from '../errors.ts';
import { checkValue, type PropertyFilter } from '../analysis/filter.ts';
import { requireName } from '../validation.ts';

// A cohort's definition: its input shape, validation, and the normalized form
// that is stored and returned as `Cohort.definition`. Pure; the SQL is in sql.ts.

export type AnalysisUnit = 'PROFILE' | 'GROUP';
export type CohortMatch = 'ALL' | 'ANY';

export interface IntRange {
  min?: number | null;
  max?: number | null;
}

export interface PerformedRuleInput {
  eventName: string;
  lastDays: number;
  minCount?: number | null;
  maxCount?: number | null;
  properties?: readonly PropertyFilter[] | null;
}

export interface CohortRuleInput {
  property?: PropertyFilter | null;
  performed?: PerformedRuleInput | null;
  memberCount?: IntRange | null;
  negate?: boolean | null;
}

export interface CohortInput {
  name: string;
  unit: AnalysisUnit;
  groupType?: string | null;
  match?: CohortMatch | null;
  rules: readonly CohortRuleInput[];
}

/** A rule as stored: exactly one kind, defaults filled in. */
export type CohortRule =
  | { property: PropertyFilter; negate: boolean }
  | {
      performed: {
        eventName: string;
        lastDays: number;
        minCount: number;
        maxCount: number | null;
        properties: PropertyFilter[];
      };
      negate: boolean;
    }
  | { memberCount: { min: number | null; max: number | null }; negate: boolean };

/** What `Cohort.definition` holds: everything needed to evaluate the cohort. */
export interface CohortDefinition {
  unit: AnalysisUnit;
  groupType: string | null;
  match: CohortMatch;
  rules: CohortRule[];
}

export const MAX_RULES = 20;
/** How far back a `performed` rule may look. */
export const MAX_LAST_DAYS = 3 * 366;
const MAX_EVENT_FILTERS = 20;
/** Counts beyond this are refused rather than compared (PostgreSQL int range, and no real cohort needs more). */
const MAX_COUNT = 1_000_000_000;

function count(value: number | null | undefined, field: string, fallback: number | null): number | null {
  if (value == null) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
    throw new ValidationError(field, `must be an integer from 0 to ${MAX_COUNT}`);
  }
  return value;
}

function range(min: number | null, max: number | null, field: string): void {
  if (min != null && max != null && min > max) throw new ValidationError(`${field}.max`, 'must not be below min');
}

/** Copies a property filter to its stored form (key, op, value; no undefined). */
function storedFilter(filter: PropertyFilter, field: string): PropertyFilter {
  checkValue(filter, field);
  return filter.value === undefined
    ? { key: filter.key, op: filter.op }
    : { key: filter.key, op: filter.op, value: filter.value };
}

function validateRule(rule: CohortRuleInput, unit: AnalysisUnit, field: string): CohortRule {
  const kinds = (['property', 'performed', 'memberCount'] as const).filter((k) => rule[k] != null);
  if (kinds.length !== 1) {
    throw new ValidationError(field, 'needs exactly one of property, performed or memberCount');
  }
  const negate = rule.negate ?? false;
  if (rule.property) return { property: storedFilter(rule.property, `${field}.property`), negate };
  if (rule.performed) {
    const p = rule.performed;
    const path = `${field}.performed`;
    requireName(p.eventName, `${path}.eventName`);
    if (!Number.isInteger(p.lastDays) || p.lastDays < 1 || p.lastDays > MAX_LAST_DAYS) {
      throw new ValidationError(`${path}.lastDays`, `must be an integer from 1 to ${MAX_LAST_DAYS}`);
    }
    const minCount = count(p.minCount, `${path}.minCount`, 1)!;
    const maxCount = count(p.maxCount, `${path}.maxCount`, null);
    range(minCount, maxCount, path);
    const properties = p.properties ?? [];
    if (properties.length > MAX_EVENT_FILTERS) {
      throw new ValidationError(`${path}.properties`, `at most ${MAX_EVENT_FILTERS} filters`);
    }
    return {
      performed: {
        eventName: p.eventName,
        lastDays: p.lastDays,
        minCount,
        maxCount,
        properties: properties.map((f, i) => storedFilter(f, `${path}.properties[${i}]`)),
      },
      negate,
    };
  }
  if (unit !== 'GROUP') throw new ValidationError(`${field}.memberCount`, 'applies to cohorts of groups only');
  const min = count(rule.memberCount!.min, `${field}.memberCount.min`, null);
  const max = count(rule.memberCount!.max, `${field}.memberCount.max`, null);
  range(min, max, `${field}.memberCount`);
  return { memberCount: { min, max }, negate };
}

/** Validates a CohortInput (fields named under `path`) and returns its name and stored definition. */
export function validateCohortInput(
  input: CohortInput,
  path = 'input',
): { name: string; definition: CohortDefinition } {
  const name = requireName(input.name, `${path}.name`);
  if (input.unit !== 'GROUP' && input.unit !== 'PROFILE') {
    throw new ValidationError(`${path}.unit`, 'must be PROFILE or GROUP');
  }
  let groupType: string | null = null;
  if (input.unit === 'GROUP') {
    if (input.groupType == null) throw new ValidationError(`${path}.groupType`, 'is required for a cohort of groups');
    groupType = requireName(input.groupType, `${path}.groupType`);
  } else if (input.groupType != null) {
    throw new ValidationError(`${path}.groupType`, 'applies to cohorts of groups only');
  }
  const match = input.match ?? 'ALL';
  if (match !== 'ALL' && match !== 'ANY') throw new ValidationError(`${path}.match`, 'must be ALL or ANY');
  if (input.rules.length < 1 || input.rules.length > MAX_RULES) {
    throw new ValidationError(`${path}.rules`, `needs 1 to ${MAX_RULES} rules`);
  }
  const rules = input.rules.map((rule, i) => validateRule(rule, input.unit, `${path}.rules[${i}]`));
  return { name, definition: { unit: input.unit, groupType, match, rules } };
}

/**
 * Refuses a cohort whose unit (or group type) does not fit where it is used,
 * e.g. a cohort of profiles in a group list, or of workspaces in an analysis of companies.
 */
export function requireCohortFits(
  definition: CohortDefinition,
  expected: { unit: AnalysisUnit; groupType?: string | null },
  field: string,
): void {
  if (definition.unit !== expected.unit) {
    throw new ValidationError(
      field,
      `is a cohort of ${definition.unit === 'GROUP' ? 'groups' : 'profiles'}; ${
        expected.unit === 'GROUP' ? 'groups' : 'profiles'
      } are needed here`,
    );
  }
  if (expected.unit === 'GROUP' && expected.groupType != null && definition.groupType !== expected.groupType) {
    throw new ValidationError(
      field,
      `is a cohort of groups of type "${definition.groupType}"; type "${expected.groupType}" is needed here`,
    );
  }
}
