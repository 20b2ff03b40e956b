import { ValidationError } from './errors.ts';
import { QUERY_TIME_RANGE, unstorable } from './validation.ts';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * `first` defaults to 20 and is capped at 100; a negative one is refused. These
 * connections page forward only (newest first), so `last`/`before` are refused
 * rather than ignored.
 */
export function pageSize(args: PageArgs, field = 'first'): number {
  if (args.last != null) throw new ValidationError('last', 'this connection pages forward only: use first/after');
  if (args.before != null) throw new ValidationError('before', 'this connection pages forward only: use first/after');
  const first = args.first;
  if (first == null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0) throw new ValidationError(field, 'must be a non-negative integer');
  return Math.min(first, MAX_PAGE_SIZE);
}

/** Opaque, stable keyset cursors: the sort key of the row, base64url-encoded. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(
  cursor: string,
  shape: readonly ('string' | 'number')[],
  field = 'after',
): (string | number)[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === shape.length && key.every((v, i) => typeof v === shape[i])) return key;
  } catch {
    // fall through
  }
  throw new ValidationError(field, 'is not a cursor returned by this connection');
}

/**
 * The time a cursor carries, as an ISO string: a valid instant in the range any
 * stored row can have, else the cursor is not one this server made (a forged
 * year 0000 would otherwise reach PostgreSQL, which cannot read it).
 */
export function cursorTime(value: string | number, field = 'after'): Date {
  const time = typeof value === 'string' ? new Date(value) : new Date(NaN);
  const ms = time.getTime();
  if (Number.isNaN(ms) || ms < QUERY_TIME_RANGE.min.getTime() || ms >= QUERY_TIME_RANGE.max.getTime()) {
    throw new ValidationError(field, 'is not a cursor returned by this connection');
  }
  return time;
}

/** A cursor's id part: text PostgreSQL can store (no NUL, no lone surrogate). */
export function cursorText(value: string | number, field = 'after'): string {
  if (typeof value !== 'string' || unstorable(value) !== null) {
    throw new ValidationError(field, 'is not a cursor returned by this connection');
  }
  return value;
}

/** Builds a page from up to size+1 rows fetched after the cursor. */
export function toPage<T>(rows: T[], size: number, cursorOf: (row: T) => string, hadCursor: boolean): Page<T> {
  const nodes = rows.slice(0, size);
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      hasPreviousPage: hadCursor,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
