import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';

import { GroupGraphError, isRetryableCode, isRetryableStatus, type GraphQLErrorPayload } from './errors.ts';
import { parseRetryAfter, retryDelay, sleep } from './retry.ts';

export interface ClientOptions {
  /** The server (`https://analytics.example.com`) or its GraphQL endpoint (`…/graphql`). */
  url: string;
  clientId: string;
  /** The key's secret. A `write` key may only ingest and read back ids, so it is the one to ship to browsers. */
  clientSecret?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Retries after the first attempt, for network errors, 429 and 503 (default 8). */
  maxRetries?: number;
  /** First retry delay before jitter; doubles each retry (default 500 ms). */
  retryBaseDelayMs?: number;
  /** Cap of the computed delay; a server's Retry-After may ask for longer (default 30 s). */
  retryMaxDelayMs?: number;
  /** An attempt without an answer by then counts as a network error (default 30 s). */
  requestTimeoutMs?: number;
  /** Called before each retry: which attempt failed, why, and how long until the next. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  operationName: string | undefined;
  /** The retry about to be made: 1 for the first. */
  retry: number;
  delayMs: number;
  error: GroupGraphError;
}

/** A typed operation: a generated document (schema/operations/*.graphql) or any TypedDocumentString. */
export type TypedDocument<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string };

/** Variables may be left out when the operation has no required ones. */
export type VariablesArgument<TVariables> = {} extends TVariables ? [variables?: TVariables] : [variables: TVariables];

/** The GraphQL endpoint of a server URL (`/graphql` is added unless present). */
export function graphqlEndpoint(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/graphql$/.test(trimmed) ? trimmed : `${trimmed}/graphql`;
}

function operationName(query: string): string | undefined {
  return query.match(/\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/)?.[1];
}

/** Browsers refuse keepalive requests whose body is over 64 KiB; below it, they survive page unload. */
const KEEPALIVE_MAX_BYTES = 60_000;

/**
 * Sends typed GraphQL operations to a groupgraph server with the key's headers,
 * retrying what may succeed later (network errors, timeouts, 429/503 — honouring
 * Retry-After) with exponential backoff and jitter, and never what will not
 * (validation errors, forbidden fields, bad keys). Retrying is safe for the
 * operations the SDK sends: events carry client ids and the ingestion mutations
 * are idempotent on the server. Uses fetch only, so it runs in Node ≥ 20 and browsers.
 */
export class GroupGraphClient {
  readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly backoff: { baseDelayMs: number; maxDelayMs: number };
  private readonly requestTimeoutMs: number;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;

  constructor(options: ClientOptions) {
    if (!options.url) throw new TypeError('GroupGraph: `url` is required');
    if (!options.clientId) throw new TypeError('GroupGraph: `clientId` is required');
    this.endpoint = graphqlEndpoint(options.url);
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...options.headers,
      'openpanel-client-id': options.clientId,
      ...(options.clientSecret ? { 'openpanel-client-secret': options.clientSecret } : {}),
    };
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.maxRetries = Math.max(0, options.maxRetries ?? 8);
    this.backoff = { baseDelayMs: options.retryBaseDelayMs ?? 500, maxDelayMs: options.retryMaxDelayMs ?? 30_000 };
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.onRetry = options.onRetry;
  }

  /**
   * Runs one operation and returns its typed `data`; throws a GroupGraphError
   * when the server answers with errors or retries are used up.
   */
  async request<TResult, TVariables>(
    document: TypedDocument<TResult, TVariables>,
    ...[variables]: VariablesArgument<TVariables>
  ): Promise<TResult> {
    const query = document.toString();
    const name = operationName(query);
    const body = JSON.stringify({ query, variables: variables ?? {}, ...(name ? { operationName: name } : {}) });
    for (let retry = 1; ; retry++) {
      try {
        return (await this.attempt(body)) as TResult;
      } catch (caught) {
        const error =
          caught instanceof GroupGraphError
            ? caught
            : new GroupGraphError('NETWORK_ERROR', `No answer from ${this.endpoint}: ${String(caught)}`, {
                retryable: true,
                cause: caught,
              });
        if (!error.retryable || retry > this.maxRetries) throw error;
        const delayMs = retryDelay(retry, this.backoff, error.retryAfterMs);
        this.onRetry?.({ operationName: name, retry, delayMs, error });
        await sleep(delayMs);
      }
    }
  }

  private async attempt(body: string): Promise<unknown> {
    const response = await this.fetchImpl(this.endpoint, {
      method: 'POST',
      headers: this.headers,
      body,
      keepalive: body.length < KEEPALIVE_MAX_BYTES,
      signal: AbortSignal.timeout(this.requestTimeoutMs),
    });
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    // A body cut off by a dropped connection throws here: a network error, retried.
    const text = await response.text();
    let payload: { data?: unknown; errors?: GraphQLErrorPayload[] } | undefined;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      payload = undefined;
    }
    const errors = Array.isArray(payload?.errors) ? payload.errors : [];
    if (errors.length > 0) {
      const first = errors[0]!;
      const code = first.extensions?.code ?? `HTTP_${response.status}`;
      throw new GroupGraphError(code, first.message, {
        retryable: errors.some((e) => isRetryableCode(e.extensions?.code)) || isRetryableStatus(response.status),
        status: response.status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        errors,
      });
    }
    if (!response.ok || payload?.data == null) {
      throw new GroupGraphError(
        `HTTP_${response.status}`,
        `Unexpected answer from ${this.endpoint}: HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
        {
          retryable: isRetryableStatus(response.status),
          status: response.status,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        },
      );
    }
    return payload.data;
  }
}
