import type { Database } from '../db/database.ts';

/**
 * 200 when the database answers, 503 with Retry-After when it does not.
 * `rateLimiting` says where buckets live (e.g. per process while Redis is down).
 */
export async function healthResponse(database: Database, rateLimiting?: string): Promise<Response> {
  try {
    await database.ping();
    return Response.json({ status: 'ok', database: database.kind, ...(rateLimiting && { rateLimiting }) });
  } catch {
    return Response.json(
      { status: 'unavailable', database: database.kind },
      { status: 503, headers: { 'Retry-After': '5' } },
    );
  }
}

/**
 * Readiness, for load balancers and orchestrators: 200 when the database answers
 * and every migration of this release is applied; 503 with Retry-After otherwise
 * (naming the pending migrations). /health only says the process is up.
 */
export async function readyResponse(database: Database): Promise<Response> {
  let pending: string[];
  try {
    pending = await database.pendingMigrations();
  } catch {
    return Response.json(
      { status: 'unavailable', database: database.kind },
      { status: 503, headers: { 'Retry-After': '5' } },
    );
  }
  if (pending.length > 0) {
    return Response.json(
      { status: 'migrations_pending', database: database.kind, pending },
      { status: 503, headers: { 'Retry-After': '5' } },
    );
  }
  return Response.json({ status: 'ready', database: database.kind });
}
