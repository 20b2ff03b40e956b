import { ValidationError } from './errors.ts';

/** DESIGN §4 limits; every violation is a VALIDATION_FAILED naming the field. */
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

// PostgreSQL text and jsonb cannot hold the NUL character.
function refuseNul(value: string, field: string): void {
  if (value.includes('\0')) throw new ValidationError(field, 'must not contain the NUL character');
}

export function requireId(value: string, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(field, 'must not be empty');
  refuseNul(value, field);
  if (value.length > LIMITS.idLength) throw new ValidationError(field, `must be at most ${LIMITS.idLength} characters`);
  return value;
}

export function optionalId(value: string | null | undefined, field: string): string | null {
  return value === null || value === undefined ? null : requireId(value, field);
}

export function requireName(value: string, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(field, 'must not be empty');
  refuseNul(value, field);
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
  refuseNul(value, field);
  return value;
}

export function requireIdList(values: readonly string[], field: string, max: number = LIMITS.groupsPerEvent): string[] {
  if (values.length > max) throw new ValidationError(field, `at most ${max} ids are allowed, got ${values.length}`);
  values.forEach((v, i) => requireId(v, `${field}[${i}]`));
  return [...new Set(values)];
}

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  for (const child of Object.values(value)) max = Math.max(max, depthOf(child));
  return max + 1;
}

/** A JSON object within the size and depth limits (an absent value is `{}`). */
export function requireProperties(value: unknown, field: string): JsonObject {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(field, 'must be a JSON object');
  if (depthOf(value) > LIMITS.propertiesDepth) {
    throw new ValidationError(field, `must be at most ${LIMITS.propertiesDepth} levels deep`);
  }
  const json = JSON.stringify(value);
  if (json.includes('\\u0000')) throw new ValidationError(field, 'must not contain the NUL character');
  const bytes = Buffer.byteLength(json);
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

export function eventTime(value: Date | null | undefined, field: string, now: Date): Date {
  if (value === null || value === undefined) return now;
  if (Number.isNaN(value.getTime())) throw new ValidationError(field, 'is not a valid date-time');
  if (value.getTime() - now.getTime() > LIMITS.futureSkewMs) {
    throw new ValidationError(field, 'is more than 1 hour in the future');
  }
  return value;
}
