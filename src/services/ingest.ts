import { randomUUID } from 'node:crypto';

import type { Event, PrismaClient } from '../generated/prisma/client.ts';
import { AppError, UnavailableError, ValidationError } from './errors.ts';
import { eventTime, optionalId, optionalText, requireIdList, requireName, requireProperties } from './validation.ts';

/** The NOTIFY channel the ingest statement announces stored events on. */
export const LIVE_EVENTS_CHANNEL = 'groupgraph_events';

/** About how many bytes of JSON-encoded event ids one NOTIFY of the ingest statement carries. */
const NOTIFY_CHUNK_BYTES = 5_000;

/** One event as a client sends it (track, trackBatch, POST /track), before validation. */
export interface EventInput {
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

/** One event stored (or found stored) by id, without reading it back. */
export interface StoredEvent {
  id: string;
  duplicate: boolean;
}

export type TrackBatchItemStatus = 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';

export interface TrackBatchError {
  index: number;
  code: string;
  message: string;
}

export interface TrackBatchItem {
  index: number;
  /** The event id (the client's, or the one the server assigned); null when rejected. */
  id: string | null;
  status: TrackBatchItemStatus;
}

export interface TrackBatchResult {
  /** Events stored by this call. */
  accepted: number;
  /** Valid events whose id was already stored, or repeated earlier in the batch. */
  duplicates: number;
  rejected: TrackBatchError[];
  /** One entry per input event, in order. */
  items: TrackBatchItem[];
}

export type EventOutcome = 'accepted' | 'duplicate' | 'rejected';

export interface IngestOptions {
  /** Most events one trackBatch may carry; the server passes its configured limit. Omitted: no limit. */
  trackBatchMax?: number;
  /** Told how many events each call stored, found stored already, or refused (metrics). */
  onEvents?: (outcome: EventOutcome, count: number) => void;
}

/** Validates one event (errors name fields under `field`) and gives it an id and a time. */
export function toEventRow(input: EventInput, field: string, now: Date): EventRow {
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
    ),
    -- Hourly rollups for eventAggregation (see docs/architecture.md, "Read path"),
    -- built only from the rows actually inserted, so a retried event is never
    -- counted twice. group_set() sorts the event's group ids and keys their set
    -- (its one definition, migration 20261202000000_group_set_key; inlined here).
    rollup_rows AS (
      SELECT date_trunc('hour', e."createdAt", 'UTC') AS "hour", e."name", COALESCE(e."profileId", '') AS "profileId", s."groupIds", s."groupSet"
      FROM events e CROSS JOIN LATERAL group_set(e."groupIds") s
    ),
    group_sets AS (
      INSERT INTO "GroupSet" ("projectId", "groupSet", "groupIds")
      SELECT DISTINCT ${projectId}, "groupSet", "groupIds" FROM rollup_rows ORDER BY 2
      ON CONFLICT DO NOTHING
    ),
    rollup_hour AS (
      INSERT INTO "RollupHour" ("projectId", "hour", "groupSet", "events")
      SELECT ${projectId}, "hour", "groupSet", count(*) FROM rollup_rows GROUP BY "hour", "groupSet" ORDER BY 2, 3
      ON CONFLICT ("projectId", "hour", "groupSet") DO UPDATE SET "events" = "RollupHour"."events" + EXCLUDED."events"
    ),
    rollup_hour_profile AS (
      INSERT INTO "RollupHourProfile" ("projectId", "hour", "groupSet", "profileId", "events")
      SELECT ${projectId}, "hour", "groupSet", "profileId", count(*) FROM rollup_rows GROUP BY "hour", "groupSet", "profileId" ORDER BY 2, 3, 4
      ON CONFLICT ("projectId", "hour", "groupSet", "profileId") DO UPDATE SET "events" = "RollupHourProfile"."events" + EXCLUDED."events"
    ),
    rollup_hour_name AS (
      INSERT INTO "RollupHourName" ("projectId", "hour", "groupSet", "name", "events")
      SELECT ${projectId}, "hour", "groupSet", "name", count(*) FROM rollup_rows GROUP BY "hour", "groupSet", "name" ORDER BY 2, 3, 4
      ON CONFLICT ("projectId", "hour", "groupSet", "name") DO UPDATE SET "events" = "RollupHourName"."events" + EXCLUDED."events"
    ),
    -- Per-unit daily activity (the 20261202100000_activity_days migration): bit h
    -- of "hours" = an event in UTC hour h. Same rows, same exactly-once rule.
    activity_rows AS (
      SELECT ("hour" AT TIME ZONE 'UTC')::date AS "day", 1 << extract(hour FROM "hour" AT TIME ZONE 'UTC')::int AS "bit",
             "profileId", "groupIds"
      FROM rollup_rows
    ),
    group_activity_day AS (
      INSERT INTO "GroupActivityDay" ("projectId", "day", "groupId", "hours", "events")
      SELECT ${projectId}, a."day", g, bit_or(a."bit"), count(*) FROM activity_rows a, unnest(a."groupIds") g GROUP BY 2, 3 ORDER BY 2, 3
      ON CONFLICT ("projectId", "day", "groupId") DO UPDATE
        SET "hours" = "GroupActivityDay"."hours" | EXCLUDED."hours", "events" = "GroupActivityDay"."events" + EXCLUDED."events"
    ),
    profile_activity_day AS (
      INSERT INTO "ProfileActivityDay" ("projectId", "day", "profileId", "hours", "events")
      SELECT ${projectId}, "day", "profileId", bit_or("bit"), count(*) FROM activity_rows WHERE "profileId" <> '' GROUP BY 2, 3 ORDER BY 2, 3
      ON CONFLICT ("projectId", "day", "profileId") DO UPDATE
        SET "hours" = "ProfileActivityDay"."hours" | EXCLUDED."hours", "events" = "ProfileActivityDay"."events" + EXCLUDED."events"
    ),
    -- Live subscriptions (services/live.ts): the stored ids are announced as
    -- [projectId, id, id, …] (a JSON array), a few notifications per statement
    -- rather than one per event. PostgreSQL sends them when this transaction
    -- commits, in commit order. NOTIFY payloads must stay under 8,000 bytes: the
    -- ids are cut into chunks of about NOTIFY_CHUNK_BYTES bytes of JSON (ids and
    -- the project id are at most 200 characters, 1,202 bytes as JSON escaped, so a
    -- payload never exceeds about 7,400 bytes).
    notify_ids AS (
      SELECT to_json("id")::text AS "json",
             sum(octet_length(to_json("id")::text) + 1) OVER (ORDER BY "id") AS "end"
      FROM events
    ),
    notified AS (
      SELECT pg_notify(${LIVE_EVENTS_CHANNEL}, c."payload")
      FROM (
        SELECT ("end" - 1) / ${NOTIFY_CHUNK_BYTES}::int AS "chunk",
               '[' || to_json(${projectId}::text)::text || ',' || string_agg("json", ',' ORDER BY "end") || ']' AS "payload"
        FROM notify_ids GROUP BY 1 ORDER BY 1
      ) c
    )
    -- A SELECT CTE runs only when referenced: the count makes the notifications happen.
    SELECT "id" FROM events, (SELECT count(*) FROM notified) n`;
  return new Set(inserted.map((r) => r.id));
}

/** Event ingestion: single events and batches, both through the one bulk statement of insertEvents. */
export class IngestService {
  readonly trackBatchMax: number;
  private readonly onEvents: (outcome: EventOutcome, count: number) => void;

  constructor(
    private readonly prisma: PrismaClient,
    options: IngestOptions = {},
  ) {
    this.trackBatchMax = options.trackBatchMax ?? Infinity;
    this.onEvents = options.onEvents ?? (() => {});
  }

  /**
   * Stores a batch in one statement (one round trip, one transaction): each
   * invalid item is rejected alone with its code, the valid ones are stored
   * exactly once by (projectId, id). An id repeated inside the batch is stored
   * once and counted as a duplicate; events without an id get a server id.
   * Only a batch over the size limit fails as a whole.
   */
  async trackBatch(projectId: string, inputs: readonly EventInput[], now = new Date()): Promise<TrackBatchResult> {
    if (inputs.length > this.trackBatchMax) {
      // maxBatchSize (in extensions) lets a client split the batch and send it again.
      throw new ValidationError('events', `at most ${this.trackBatchMax} events per batch, got ${inputs.length}`, {
        maxBatchSize: this.trackBatchMax,
      });
    }
    const items: TrackBatchItem[] = [];
    const rejected: TrackBatchError[] = [];
    const rows: EventRow[] = [];
    const seen = new Set<string>();
    inputs.forEach((input, index) => {
      let row: EventRow;
      try {
        row = toEventRow(input, `events[${index}]`, now);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        rejected.push({ index, code: error.code, message: error.message });
        items.push({ index, id: null, status: 'REJECTED' });
        return;
      }
      if (seen.has(row.id)) {
        items.push({ index, id: row.id, status: 'DUPLICATE' });
        return;
      }
      seen.add(row.id);
      rows.push(row);
      items.push({ index, id: row.id, status: 'ACCEPTED' });
    });
    const inserted =
      rows.length > 0 ? await withDeadlockRetry(() => insertEvents(this.prisma, projectId, rows)) : new Set<string>();
    let accepted = 0;
    let duplicates = 0;
    for (const item of items) {
      if (item.status === 'ACCEPTED' && !inserted.has(item.id!)) item.status = 'DUPLICATE';
      if (item.status === 'ACCEPTED') accepted++;
      else if (item.status === 'DUPLICATE') duplicates++;
    }
    this.onEvents('accepted', accepted);
    this.onEvents('duplicate', duplicates);
    this.onEvents('rejected', rejected.length);
    return { accepted, duplicates, rejected, items };
  }

  /** Stores one validated event without reading it back (POST /track): its id and whether it was stored before. */
  async store(projectId: string, row: EventRow): Promise<StoredEvent> {
    const inserted = await withDeadlockRetry(() => insertEvents(this.prisma, projectId, [row]));
    const duplicate = !inserted.has(row.id);
    this.onEvents(duplicate ? 'duplicate' : 'accepted', 1);
    return { id: row.id, duplicate };
  }

  /** Stores one event; a repeat of a stored id returns the stored event with duplicate: true. */
  async track(projectId: string, input: EventInput, now = new Date()): Promise<TrackResult> {
    let row: EventRow;
    try {
      row = toEventRow(input, 'input', now);
    } catch (error) {
      if (error instanceof AppError) this.onEvents('rejected', 1);
      throw error;
    }
    const { id, duplicate } = await this.store(projectId, row);
    // Read back for the groups the statement resolved; raw SQL costs half the ORM's CPU on this hot path.
    const [event] = await this.prisma.$queryRaw<Event[]>`
      SELECT * FROM "Event" WHERE "projectId" = ${projectId} AND "id" = ${id}`;
    if (!event) throw new UnavailableError('The event was not stored; retry with the same id.');
    return { event, duplicate };
  }
}

/**
 * Two writers touching the same placeholder or rollup rows can still deadlock;
 * PostgreSQL aborts one, which is retried. Still failing after the attempts, it
 * is UNAVAILABLE (retry later; ids keep the retry exactly-once), never a 500.
 */
export async function withDeadlockRetry<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt >= attempts) {
        throw new UnavailableError('The database is busy with conflicting writes; retry shortly.', 1);
      }
      await new Promise((r) => setTimeout(r, 10 * attempt * Math.random()));
    }
  }
}

function isRetryable(error: unknown): boolean {
  const text = String((error as Error)?.message ?? '');
  return /deadlock detected|40P01|could not serialize|40001/.test(text);
}
