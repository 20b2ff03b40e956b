// A page's state lives in its URL's query string, so every view is a link.
import { useLocation } from 'preact-iso/router';

export type QueryChanges = Record<string, string | number | undefined | null>;

/** `path?query` with the changes applied; empty values are left out. */
export function withQuery(path: string, query: Record<string, string>, changes: QueryChanges): string {
  const params = new URLSearchParams(query);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined || value === null || value === '') params.delete(name);
    else params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** The query string's values, and a setter that pushes (or, with `replace`, replaces) history. */
export function useUrlState(): [Record<string, string>, (changes: QueryChanges, replace?: boolean) => void] {
  const location = useLocation();
  return [
    location.query,
    (changes, replace = false) => location.route(withQuery(location.path, location.query, changes), replace),
  ];
}

/** A value of `allowed`, or the fallback when the URL holds something else. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}
