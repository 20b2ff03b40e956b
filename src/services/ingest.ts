import { randomUUID } from 'node:crypto';

import type { Event, PrismaClient } from '../generated/prisma/client.ts';
import { AppError } from './errors.ts';
import { eventTime, optionalId, optionalText, requireIdList, requireName, requireProperties } from './limits.ts';

export interface TrackInput {
  id?: string | null;
  name: string;
  profileId?: string | null;
  deviceId?: string | null;
  sessionId?: string | null;
  groups?: readonly string[] | null;
  properties?: unknown;
  timestamp?: Date | null;
  inheritProfileGroups?: boolean | null;
}

/** An event that passed validation, as sent to the database. */
export interface EventRow {
  id: string;
  name: string;
  profileId: string | null;
  deviceId: string | null;
  sessionId: string | null;
  groups: string[];
  properties: Record<string, unknown>;
  createdAt: string;
  inherit: boolean;
}

/** The client or an interactive transaction. */
export type Queryable = Pick<PrismaClient, '$queryRaw'>;

export interface TrackResult {
  event: Event;
  duplicate: boolean;
}

function validate(input: TrackInput, field: string, now: Date): EventRow {
  return {
    id: optionalId(input.id, `${field}.id`) ?? randomUUID(),
    name: requireName(input.name, `${field}.name`),
    profileId: optionalId(input.profileId, `${field}.profileId`),
    deviceId: optionalText(input.deviceId, `${field}.deviceId`, 200),
    sessionId: optionalText(input.sessionId, `${field}.sessionId`, 200),
    groups: requireIdList(input.groups ?? [], `${field}.groups`),
    properties: requireProperties(input.properties, `${field}.properties`),
    createdAt: eventTime(input.timestamp, `${field}.timestamp`, now).toISOString(),
    inherit: input.inheritProfileGroups ?? true,
  };
}

/**
 * Stores events exactly once by (projectId, id) in a single statement: resolves
 * each event's groups (its own ∪ the profile's current memberships, unless
 * inheritance is off for the call or the project), creates placeholder groups and
 * implicit profiles, and maintains the EventGroup index. Rows are ordered by key
 * so concurrent batches take locks in the same order. Returns the ids inserted;
 * ids already stored are absent.
 */
export async function insertEvents(prisma: Queryable, projectId: string, rows: EventRow[]): Promise<Set<string>> {
  const inserted = await prisma.$queryRaw<{ id: string }[]>`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(
        "id" text, "name" text, "profileId" text, "deviceId" text, "sessionId" text,
        "groups" jsonb, "properties" jsonb, "createdAt" timestamptz, "inherit" boolean)
    ),
    project AS (SELECT "inheritProfileGroups" AS "inherit" FROM "Project" WHERE "id" = ${projectId}),
    resolved AS (
      SELECT i.*, ARRAY(
        SELECT g FROM (
          SELECT e.value AS g, e.ordinality AS ord FROM jsonb_array_elements_text(i."groups") WITH ORDINALITY e
          UNION ALL
          SELECT m."groupId", 1000000 + m."id" FROM "GroupMembership" m, project p
          WHERE i."inherit" AND p."inherit" AND i."profileId" IS NOT NULL
            AND m."projectId" = ${projectId} AND m."profileId" = i."profileId" AND m."leftAt" IS NULL
        ) s GROUP BY g ORDER BY min(ord)
      ) AS "groupIds"
      FROM input i
    ),
    events AS (
      INSERT INTO "Event" ("projectId", "id", "name", "profileId", "deviceId", "sessionId", "groupIds", "properties", "createdAt")
      SELECT ${projectId}, "id", "name", "profileId", "deviceId", "sessionId", "groupIds", "properties", "createdAt"
      FROM resolved ORDER BY "id"
      ON CONFLICT ("projectId", "id") DO NOTHING
      RETURNING "id", "name", "profileId", "groupIds", "createdAt"
    ),
    event_groups AS (
      INSERT INTO "EventGroup" ("projectId", "groupId", "createdAt", "eventId", "name", "profileId")
      SELECT ${projectId}, g, e."createdAt", e."id", e."name", e."profileId"
      FROM events e, unnest(e."groupIds") g
      ON CONFLICT DO NOTHING
    ),
    placeholder_groups AS (
      INSERT INTO "Group" ("projectId", "id")
      SELECT DISTINCT ${projectId}, g FROM events e, unnest(e."groupIds") g ORDER BY 2
      ON CONFLICT DO NOTHING
    ),
    implicit_profiles AS (
      INSERT INTO "Profile" ("projectId", "id")
      SELECT DISTINCT ${projectId}, "profileId" FROM events WHERE "profileId" IS NOT NULL ORDER BY 2
      ON CONFLICT DO NOTHING
    )
    SELECT "id" FROM events`;
  return new Set(inserted.map((r) => r.id));
}

/** Event ingestion: single events now, batches on the same path. */
export class IngestService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Stores one event; a repeat of a stored id returns the stored event with duplicate: true. */
  async track(projectId: string, input: TrackInput, now = new Date()): Promise<TrackResult> {
    const row = validate(input, 'input', now);
    const inserted = await withDeadlockRetry(() => insertEvents(this.prisma, projectId, [row]));
    const event = await this.prisma.event.findUnique({ where: { projectId_id: { projectId, id: row.id } } });
    if (!event) throw new AppError('UNAVAILABLE', 'The event was not stored; retry with the same id.');
    return { event, duplicate: !inserted.has(row.id) };
  }
}

/** Two writers touching the same placeholder rows can still deadlock; PostgreSQL aborts one, which is retried. */
export async function withDeadlockRetry<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      await new Promise((r) => setTimeout(r, 10 * attempt * Math.random()));
    }
  }
}

function isRetryable(error: unknown): boolean {
  const text = String((error as Error)?.message ?? '');
  return /deadlock detected|40P01|could not serialize|40001/.test(text);
}
