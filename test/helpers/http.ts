import type { TypedDocument } from '../../src/sdk/client.ts';
import type { CreatedKey } from '../../src/services/keys.ts';

// GraphQL over HTTP for tests and benchmarks. No vitest here: bench/ imports it.

/** A typed document of schema/operations (typed variables and data), or the text of an ad-hoc operation. */
export type Operation<TData, TVariables> = TypedDocument<TData, TVariables> | string;

/** Data of an ad-hoc operation, loosely typed. */
export type AnyData = Record<string, any>;

export interface GraphQLResponse<T = AnyData> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** The headers that authenticate a key (what the OpenPanel SDKs send). */
export function keyHeaders(key: Pick<CreatedKey, 'clientId' | 'clientSecret'>): Record<string, string> {
  return { 'openpanel-client-id': key.clientId, 'openpanel-client-secret': key.clientSecret };
}

/**
 * POSTs one operation as JSON with the key's headers to a /graphql URL, through
 * `fetchFn` (the global fetch for a real server, `app.fetch` in-process).
 */
export async function postGraphQL<TData = AnyData, TVariables = Record<string, unknown>>(
  url: string,
  operation: Operation<TData, TVariables>,
  variables: TVariables | undefined,
  key: Pick<CreatedKey, 'clientId' | 'clientSecret'>,
  fetchFn: (url: string, init: RequestInit) => Promise<Response> = fetch,
): Promise<GraphQLResponse<TData>> {
  const response = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...keyHeaders(key) },
    body: JSON.stringify({ query: String(operation), variables: variables ?? {} }),
  });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResponse<TData>, 'status'>) };
}
