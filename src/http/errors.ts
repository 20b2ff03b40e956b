import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

import { AppError, type ErrorCode } from '../services/errors.ts';

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
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
      /Connection terminated|connection timeout|timeout exceeded when trying to connect|Can't reach database|Client has encountered a connection error|ECONNREFUSED|ECONNRESET/i.test(
        e.message,
      )
    )
      return true;
    current = e.cause;
  }
  return false;
}

export function toGraphQLError(error: AppError, path?: readonly (string | number)[]): GraphQLError {
  const status = HTTP_STATUS[error.code];
  const extensions: Record<string, unknown> = { code: error.code, ...error.details };
  if (status) {
    const headers: Record<string, string> = {};
    if (typeof error.details.retryAfterSeconds === 'number')
      headers['Retry-After'] = String(error.details.retryAfterSeconds);
    extensions.http = { status, headers };
  }
  return createGraphQLError(error.message, { extensions, path });
}

/**
 * Yoga's maskError: expected failures (AppError, database down) keep their code
 * and message; everything else becomes INTERNAL_SERVER_ERROR, with the original
 * message only outside production.
 */
export function maskError(error: unknown, message: string, isDev = false): Error {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const path = error instanceof GraphQLError ? error.path : undefined;
  if (original instanceof AppError) return toGraphQLError(original, path);
  // A row that vanished between being listed and being loaded (e.g. a deleted group).
  if ((original as { code?: unknown })?.code === 'P2025') {
    return toGraphQLError(new AppError('NOT_FOUND', 'The record no longer exists'), path);
  }
  // Pothos's own argument checks (a malformed connection cursor, first with last…).
  if (original instanceof PothosValidationError) {
    return toGraphQLError(new AppError('VALIDATION_FAILED', original.message), path);
  }
  if (isDatabaseUnavailable(original)) {
    return toGraphQLError(
      new AppError('UNAVAILABLE', 'The database is unavailable; retry shortly.', { retryAfterSeconds: 5 }),
      path,
    );
  }
  if (error instanceof GraphQLError && (!error.originalError || !error.path)) {
    // Raised by graphql-js before any resolver ran: syntax, document validation,
    // variable coercion. The request is at fault and the message says how.
    const code = error.extensions?.code ?? (original as GraphQLError).extensions?.code ?? 'VALIDATION_FAILED';
    return createGraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
  }
  if (original instanceof GraphQLError && original.extensions?.code) return original;
  return createGraphQLError(isDev ? String((original as Error)?.message ?? message) : message, {
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
    path,
  });
}
