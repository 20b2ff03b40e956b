import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError } from 'graphql-yoga';

import { AppError, UnavailableError, type ErrorCode } from '../services/errors.ts';

/**
 * The HTTP status of every error code: the one table /graphql, POST /track and
 * the admin socket answer from. REST answers always carry the status. On
 * /graphql only codes that fail the whole request (`wholeRequest`: who is
 * asking, how often, whether the database answers) set it; the others are
 * field errors beside partial data, which GraphQL over HTTP answers with 200.
 */
export const ERROR_STATUS: Record<ErrorCode, { status: number; wholeRequest: boolean }> = {
  VALIDATION_FAILED: { status: 400, wholeRequest: false },
  UNAUTHENTICATED: { status: 401, wholeRequest: true },
  FORBIDDEN: { status: 403, wholeRequest: false },
  NOT_FOUND: { status: 404, wholeRequest: false },
  PAYLOAD_TOO_LARGE: { status: 413, wholeRequest: true },
  QUERY_LIMIT_EXCEEDED: { status: 400, wholeRequest: true },
  RATE_LIMITED: { status: 429, wholeRequest: true },
  UNAVAILABLE: { status: 503, wholeRequest: true },
  // Only ever the last message of a live subscription's stream, which has long answered 200.
  SLOW_CONSUMER: { status: 429, wholeRequest: false },
};

/** Connection-level failures: the database is down or unreachable, not the request's fault. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as { code?: unknown; message?: unknown; kind?: unknown; cause?: unknown };
    if (
      typeof e.code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|57P01|57P02|57P03|08\d{3}|P1001|P1002|P1017)$/.test(e.code)
    )
      return true;
    if (e.kind === 'DatabaseNotReachable' || e.kind === 'ConnectionClosed' || e.kind === 'SocketTimeout') return true;
    if (
      typeof e.message === 'string' &&
      /Connection terminated|connection timeout|Query read timeout|timeout exceeded when trying to connect|Can't reach database|Client has encountered a connection error|Unable to start a transaction in the given time|ECONNREFUSED|ECONNRESET/i.test(
        e.message,
      )
    )
      return true;
    current = e.cause;
  }
  return false;
}

/** Whether the error or one of its causes carries this PostgreSQL code (SQLSTATE). */
function hasCode(error: unknown, code: string): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as {
      code?: unknown;
      originalCode?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    if (e.code === code || e.originalCode === code) return true;
    current = e.cause ?? e.meta?.driverAdapterError;
  }
  return false;
}

/**
 * The coded failure behind an error, or undefined when nobody planned for it
 * (then it is masked). Besides our own errors: a row that vanished between being
 * listed and being loaded (a deleted group), Pothos's own argument checks (a
 * malformed connection cursor, first with last…) and a database that does not answer.
 */
export function codedError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (hasCode(error, '57014')) {
    return new AppError(
      'QUERY_LIMIT_EXCEEDED',
      'The query ran into the statement time limit (STATEMENT_TIMEOUT_MS) and was cancelled; ask for less (a shorter range, fewer series)',
      { limit: 'statementTimeoutMs' },
    );
  }
  if ((error as { code?: unknown } | null)?.code === 'P2025')
    return new AppError('NOT_FOUND', 'The record no longer exists');
  if (error instanceof PothosValidationError) return new AppError('VALIDATION_FAILED', error.message);
  if (isDatabaseUnavailable(error)) return new UnavailableError();
  return undefined;
}

function retryAfterHeader(error: AppError): Record<string, string> {
  const seconds = error.details.retryAfterSeconds;
  return typeof seconds === 'number' ? { 'Retry-After': String(seconds) } : {};
}

/** A REST error answer (POST /track, the admin socket): `{ error: code, message }` with the table's status. */
export function restError(error: AppError): {
  status: number;
  headers: Record<string, string>;
  body: { error: ErrorCode; message: string };
} {
  return {
    status: ERROR_STATUS[error.code].status,
    headers: retryAfterHeader(error),
    body: { error: error.code, message: error.message },
  };
}

export function toGraphQLError(error: AppError, path?: readonly (string | number)[]): GraphQLError {
  const { status, wholeRequest } = ERROR_STATUS[error.code];
  const extensions: Record<string, unknown> = { code: error.code, ...error.details };
  if (wholeRequest) extensions.http = { status, headers: retryAfterHeader(error) };
  return createGraphQLError(error.message, { extensions, path });
}

/**
 * Yoga's maskError with our coded errors in front: they keep their code and
 * message (and status, see ERROR_STATUS). Everything else goes to Yoga's own
 * masking, which hides unexpected errors as INTERNAL_SERVER_ERROR and passes
 * graphql-js's own errors through.
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const coded = codedError(original);
  if (coded) return toGraphQLError(coded, error instanceof GraphQLError ? error.path : undefined);
  const masked = yogaMaskError(error, message, isDev);
  if (masked === error && error instanceof GraphQLError && !error.path && !error.extensions?.code) {
    // Raised by graphql-js before any resolver ran (variable coercion): the
    // request is at fault and the message says how.
    return createGraphQLError(error.message, {
      nodes: error.nodes,
      extensions: { ...error.extensions, code: 'VALIDATION_FAILED' },
    });
  }
  return masked;
}
