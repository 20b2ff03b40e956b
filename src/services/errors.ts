/**
 * Failures a client can act on. Each carries a stable SCREAMING_SNAKE code that
 * becomes `extensions.code` in GraphQL and the `error` field on REST; anything
 * else is masked as an internal error.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'UNAUTHENTICATED'
  | 'PAYLOAD_TOO_LARGE'
  | 'QUERY_LIMIT_EXCEEDED'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  /** A live subscription whose client fell more than its buffer behind; it is ended. */
  | 'SLOW_CONSUMER';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export class ValidationError extends AppError {
  /** `field` is the path of the offending argument, e.g. `input.properties`; `details` go to extensions. */
  constructor(
    readonly field: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super('VALIDATION_FAILED', `${field}: ${message}`, { field, ...details });
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} "${id}" does not exist`, { id });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** Not the request's fault: the same request (with the same ids) may be sent again after `retryAfterSeconds`. */
export class UnavailableError extends AppError {
  constructor(message = 'The database is unavailable; retry shortly.', retryAfterSeconds = 5) {
    super('UNAVAILABLE', message, { retryAfterSeconds });
  }
}
