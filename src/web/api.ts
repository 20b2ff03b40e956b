// The dashboard talks to the server only through the SDK's GroupGraphClient and
// the typed documents of schema/operations. The client retries nothing by itself
// here (maxRetries 0): useQuery retries instead, so the page can say what failed
// and when the next attempt is. A query-cache library would add caching and
// mutation machinery this read-only app does not use; the hook is a few lines.
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';

import { GroupGraphClient, type TypedDocument, type VariablesArgument } from '../sdk/client.ts';
import { GroupGraphError } from '../sdk/errors.ts';
import type { Key } from './pageConfig.ts';

export function createClient(key: Key, origin: string): GroupGraphClient {
  return new GroupGraphClient({ url: origin, clientId: key.clientId, clientSecret: key.clientSecret, maxRetries: 0 });
}

export const ClientContext = createContext<GroupGraphClient | undefined>(undefined);

export function useClient(): GroupGraphClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside a signed-in page');
  return client;
}

/**
 * What went wrong, for people: `unauthenticated` (401: unknown or revoked key),
 * `forbidden` (a write key, or a field the key's mode may not read),
 * `unavailable` (503, 429 or no answer: worth retrying), `failed` (anything else).
 */
export interface Problem {
  kind: 'unauthenticated' | 'forbidden' | 'unavailable' | 'failed';
  code: string;
  status?: number;
  message: string;
  retryAfterMs?: number;
}

export function describeProblem(error: unknown): Problem {
  if (!(error instanceof GroupGraphError)) {
    return { kind: 'failed', code: 'ERROR', message: error instanceof Error ? error.message : String(error) };
  }
  const base = {
    code: error.code,
    message: error.message,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
  };
  if (error.code === 'UNAUTHENTICATED' || error.status === 401) return { kind: 'unauthenticated', ...base };
  if (error.code === 'FORBIDDEN' || error.status === 403) return { kind: 'forbidden', ...base };
  if (error.retryable) return { kind: 'unavailable', ...base };
  return { kind: 'failed', ...base };
}

/** Retried without asking: the server may answer later (a key may be restored, a database come back). */
export function retriesByItself(problem: Problem): boolean {
  return problem.kind === 'unauthenticated' || problem.kind === 'unavailable';
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

export function retryDelayMs(problem: Problem, attempt: number): number {
  const backoff = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.max(backoff, problem.retryAfterMs ?? 0);
}

export interface QueryState<T> {
  /** The latest answer; kept while a new one loads, so the page does not flicker. */
  data?: T;
  loading: boolean;
  problem?: Problem;
  /** When the next automatic attempt starts (epoch ms), while one is scheduled. */
  retryAt?: number;
  /** Asks again now. */
  retry(): void;
}

/**
 * Runs a typed operation when its variables change; on 401 and 503-like answers
 * it retries with backoff (honouring Retry-After) until the server answers.
 * `skip` holds the request back (e.g. no rows to ask about yet).
 */
export function useQuery<TResult, TVariables>(
  document: TypedDocument<TResult, TVariables>,
  variables: TVariables,
  options: { skip?: boolean } = {},
): QueryState<TResult> {
  const client = useClient();
  const [state, setState] = useState<{ data?: TResult; problem?: Problem; loading: boolean; retryAt?: number }>({
    loading: !options.skip,
  });
  const [attempt, setAttempt] = useState({ key: '', count: 0 });
  const key = JSON.stringify(variables);
  // A new question starts its retries afresh.
  const count = attempt.key === key ? attempt.count : 0;

  useEffect(() => {
    if (options.skip) {
      setState((s) => ({ ...s, loading: false, problem: undefined, retryAt: undefined }));
      return;
    }
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState((s) => ({ ...s, loading: true, retryAt: undefined }));
    const args = [variables] as unknown as VariablesArgument<TVariables>;
    client.request(document, ...args).then(
      (data) => {
        if (current) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (!current) return;
        const problem = describeProblem(error);
        if (!retriesByItself(problem)) {
          setState((s) => ({ data: s.data, problem, loading: false }));
          return;
        }
        const delay = retryDelayMs(problem, count + 1);
        setState((s) => ({ data: s.data, problem, loading: false, retryAt: Date.now() + delay }));
        timer = setTimeout(() => setAttempt({ key, count: count + 1 }), delay);
      },
    );
    return () => {
      current = false;
      if (timer) clearTimeout(timer);
    };
    // `key` stands for `variables`; the document of a call site never changes.
  }, [client, document, key, count, options.skip]);

  return { ...state, retry: () => setAttempt({ key, count: count + 1 }) };
}
