/** A GraphQL error as the server sends it. */
export interface GraphQLErrorPayload {
  message: string;
  path?: readonly (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** Server codes that mean "not now": the same request may succeed later. */
const RETRYABLE_CODES = new Set(['UNAVAILABLE', 'RATE_LIMITED']);

/** HTTP statuses worth retrying: rate limited, database or gateway unavailable, timeouts. */
const RETRYABLE_STATUSES = new Set([408, 429, 502, 503, 504]);

/**
 * Why a call failed. `code` is the server's `extensions.code` (VALIDATION_FAILED,
 * FORBIDDEN, UNAUTHENTICATED, RATE_LIMITED, UNAVAILABLE…), `NETWORK_ERROR` when no
 * answer arrived, or `HTTP_<status>` for an answer that was not GraphQL.
 * `retryable` says whether sending the same request again may succeed.
 */
export class GroupGraphError extends Error {
  override readonly name = 'GroupGraphError';
  readonly code: string;
  readonly retryable: boolean;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** From the `Retry-After` header. */
  readonly retryAfterMs?: number;
  /** The GraphQL errors of the response, if any. */
  readonly errors?: readonly GraphQLErrorPayload[];

  constructor(
    code: string,
    message: string,
    details: {
      retryable?: boolean;
      status?: number;
      retryAfterMs?: number;
      errors?: readonly GraphQLErrorPayload[];
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.retryable = details.retryable ?? false;
    if (details.status !== undefined) this.status = details.status;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.errors !== undefined) this.errors = details.errors;
  }
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export function isRetryableCode(code: string | undefined): boolean {
  return code !== undefined && RETRYABLE_CODES.has(code);
}
