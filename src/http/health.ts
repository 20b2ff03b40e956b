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
