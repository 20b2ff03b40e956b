import { ValidationError } from './errors.ts';

/** Input limits; every violation is a VALIDATION_FAILED naming the field. */
export const LIMITS = {
  idLength: 200,
  nameLength: 200,
  textLength: 1000,
  groupsPerEvent: 100,
  propertiesBytes: 32 * 1024,
  propertiesDepth: 10,
  futureSkewMs: 60 * 60 * 1000,
} as const;

export type JsonObject = Record<string, unknown>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL text/jsonb would refuse the string (NUL, or UTF-16 that is not Unicode), if it would. */
export function unstorable(value: string): string | null {
  if (value.includes('\0')) return 'must not contain the NUL character';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (a lone surrogate was found)';
  return null;
}

function refuseUnstorable(value: string, field: string): void {
  const problem = unstorable(value);
  if (problem) throw new ValidationError(field, problem);
}

export function requireId(value: string, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(field, 'must not be empty');
  refuseUnstorable(value, field);
  if (value.length > LIMITS.idLength) throw new ValidationError(field, `must be at most ${LIMITS.idLength} characters`);
  return value;
}

export function optionalId(value: string | null | undefined, field: string): string | null {
  return value === null || value === undefined ? null : requireId(value, field);
}

export function requireName(value: string, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(field, 'must not be empty');
  refuseUnstorable(value, field);
  if (value.length > LIMITS.nameLength)
    throw new ValidationError(field, `must be at most ${LIMITS.nameLength} characters`);
  return value;
}

export function optionalText(
  value: string | null | undefined,
  field: string,
  max: number = LIMITS.textLength,
): string | null {
  if (value === null || value === undefined) return null;
  if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters`);
  refuseUnstorable(value, field);
  return value;
}

export function requireIdList(values: readonly string[], field: string, max: number = LIMITS.groupsPerEvent): string[] {
  if (values.length > max) throw new ValidationError(field, `at most ${max} ids are allowed, got ${values.length}`);
  values.forEach((v, i) => requireId(v, `${field}[${i}]`));
  return [...new Set(values)];
}

/**
 * Walks a JSON value: throws when it nests deeper than the limit (without
 * descending further, so hostile nesting cannot exhaust the stack) or when a
 * string or key in it could not be stored.
 */
function checkJson(value: unknown, field: string, depth = 0): void {
  if (typeof value === 'string') return refuseUnstorable(value, field);
  if (value === null || typeof value !== 'object') return;
  if (depth >= LIMITS.propertiesDepth) {
    throw new ValidationError(field, `must be at most ${LIMITS.propertiesDepth} levels deep`);
  }
  for (const [key, child] of Object.entries(value)) {
    refuseUnstorable(key, field);
    checkJson(child, field, depth + 1);
  }
}

/**
 * A JSON value to compare stored properties with (a filter's value): its
 * strings and keys must be storable, and it may nest no deeper than stored
 * properties can.
 */
export function requireComparableJson(value: unknown, field: string): void {
  checkJson(value, field);
}

/** A JSON object within the size and depth limits (an absent value is `{}`). */
export function requireProperties(value: unknown, field: string): JsonObject {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(field, 'must be a JSON object');
  checkJson(value, field);
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > LIMITS.propertiesBytes) {
    throw new ValidationError(field, `must be at most ${LIMITS.propertiesBytes} bytes serialized, got ${bytes}`);
  }
  return value as JsonObject;
}

/**
 * Splits a shallow-merge patch: keys sent as null are removed, the rest set.
 */
export function splitPatch(patch: JsonObject): { set: JsonObject; remove: string[] } {
  const set: JsonObject = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) remove.push(key);
    else set[key] = value;
  }
  return { set, remove };
}

/**
 * Event times start with the Unix epoch. (The DateTime scalar takes any
 * well-formed date, year 0000 included, which PostgreSQL cannot store; checking
 * here, per event, lets one bad event of a batch fail alone.)
 */
export const EVENT_TIME_MIN = new Date('1970-01-01T00:00:00Z');

/**
 * Query bounds, cursors and membership times: 1900 to 9900. Defaults, bucket
 * boundaries, comparison and retention periods are computed from them, and
 * must stay within the years PostgreSQL and ISO-8601 strings share (1 to 9999).
 */
export const QUERY_TIME_RANGE = {
  min: new Date('1900-01-01T00:00:00Z'),
  max: new Date('9900-01-01T00:00:00Z'),
} as const;

/** A query bound (or null): a valid date within QUERY_TIME_RANGE. */
export function queryTime<T extends Date | null | undefined>(value: T, field: string): T {
  if (value === null || value === undefined) return value;
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new ValidationError(field, 'is not a valid date-time');
  if (ms < QUERY_TIME_RANGE.min.getTime() || ms >= QUERY_TIME_RANGE.max.getTime()) {
    throw new ValidationError(field, 'must be from 1900-01-01 to before 9900-01-01');
  }
  return value;
}

export function eventTime(value: Date | null | undefined, field: string, now: Date): Date {
  if (value === null || value === undefined) return now;
  if (Number.isNaN(value.getTime())) throw new ValidationError(field, 'is not a valid date-time');
  if (value.getTime() < EVENT_TIME_MIN.getTime()) {
    throw new ValidationError(field, 'must not be before 1970-01-01T00:00:00Z');
  }
  if (value.getTime() - now.getTime() > LIMITS.futureSkewMs) {
    throw new ValidationError(field, 'is more than 1 hour in the future');
  }
  return value;
}
