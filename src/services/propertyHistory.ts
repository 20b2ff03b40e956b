import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { ValidationError } from './errors.ts';
import type { Queryable } from './ingest.ts';
import { cursorTime, decodeCursor, encodeCursor, pageSize, toPage, type Page, type PageArgs } from './pagination.ts';
import { requireId } from './validation.ts';

/**
 * Group property history: each change of a top-level key of a group's
 * properties, recorded by the statement that makes the change (so in its
 * transaction), and the rule "the value a key had at time t" that
 * `propertiesAt: EVENT_TIME` questions use. See the migration
 * 20261202300000_group_property_history for the table.
 */

/** One recorded change; null stands for "absent" on either side. */
export interface GroupPropertyChange {
  id: bigint;
  groupId: string;
  key: string;
  value: unknown;
  previousValue: unknown;
  changedAt: Date;
}

/** How the new properties are computed from the stored ones (`p`, the locked row's properties). */
export type PropertiesUpdate =
  | { kind: 'merge'; set: Record<string, unknown>; remove: string[] }
  | { kind: 'replace'; properties: Record<string, unknown> };

/**
 * Updates one group's properties (plus type/name) and records every key whose
 * value changed, in one statement. It reads the old properties FOR UPDATE: a
 * writer that waited for another gets the row as that one left it (READ
 * COMMITTED re-reads a locked row's latest version), so "before" is the value
 * this update replaces, however many writers race. Keys whose value did
 * not change record nothing. Returns false when there is no such group.
 * The time is taken while the lock is held (clock_timestamp, not the
 * transaction's start), so history order is the order the changes were
 * applied in even when writers waited for each other.
 */
export async function updateGroupRecordingChanges(
  tx: Queryable,
  projectId: string,
  groupId: string,
  update: PropertiesUpdate,
  attributes: { type: Prisma.Sql; name: Prisma.Sql },
): Promise<boolean> {
  const properties =
    update.kind === 'merge'
      ? Prisma.sql`(old."properties" - ${update.remove}::text[]) || ${JSON.stringify(update.set)}::jsonb`
      : Prisma.sql`${JSON.stringify(update.properties)}::jsonb`;
  const rows = await tx.$queryRaw<{ updated: number }[]>`
    WITH old AS (
      SELECT "properties" FROM "Group" WHERE "projectId" = ${projectId} AND "id" = ${groupId} FOR UPDATE
    ),
    updated AS (
      UPDATE "Group" g SET "type" = ${attributes.type}, "name" = ${attributes.name},
        "properties" = ${properties}, "updatedAt" = clock_timestamp()
      FROM old
      WHERE g."projectId" = ${projectId} AND g."id" = ${groupId}
      RETURNING old."properties" AS "before", g."properties" AS "after"
    ),
    changes AS (
      INSERT INTO "GroupPropertyChange" ("projectId", "groupId", "key", "value", "previousValue", "changedAt")
      SELECT ${projectId}, ${groupId}, k, u."after" -> k, u."before" -> k, clock_timestamp()
      FROM updated u CROSS JOIN LATERAL jsonb_object_keys(u."before" || u."after") k
      WHERE (u."before" -> k) IS DISTINCT FROM (u."after" -> k)
      ORDER BY k
    )
    SELECT count(*)::int AS "updated" FROM updated`;
  return rows[0]!.updated > 0;
}

/**
 * SQL for the value of property `key` (a text expression) of the group row
 * aliased `grp` at instant `at` (a timestamptz expression), as jsonb (SQL NULL:
 * absent). The rule:
 * - the latest recorded change of the key at or before `at` gives its value;
 * - before the key's first recorded change, from the group's createdAt on, the
 *   value is that change's previousValue — for a key first set through the API
 *   that is absent; for a group changed before history was recorded it is the
 *   value it then had;
 * - a key never recorded has its current value from the group's createdAt on
 *   (groups written before history existed: their values are taken as known
 *   since the group was created);
 * - before createdAt, nothing is known: absent.
 */
export function propertyAtSql(projectId: string, grp: string, key: Prisma.Sql, at: Prisma.Sql): Prisma.Sql {
  const g = Prisma.raw(`"${grp}"`);
  // The latest change is looked up once; the earliest (and the current value) only
  // when there is none, since CASE runs a branch's subquery only when it is reached.
  // A one-element array tells "no change" (NULL) from "removed" ({NULL}).
  return Prisma.sql`(
    SELECT CASE
      WHEN x."latest" IS NOT NULL THEN x."latest"[1]
      WHEN ${at} < ${g}."createdAt" THEN NULL
      ELSE (COALESCE((
        SELECT ARRAY[h."previousValue"] FROM "GroupPropertyChange" h
        WHERE h."projectId" = ${projectId} AND h."groupId" = ${g}."id" AND h."key" = ${key}
        ORDER BY h."changedAt" ASC, h."id" ASC LIMIT 1
      ), ARRAY[${g}."properties" -> ${key}]))[1]
    END
    FROM (SELECT (
      SELECT ARRAY[h."value"] FROM "GroupPropertyChange" h
      WHERE h."projectId" = ${projectId} AND h."groupId" = ${g}."id" AND h."key" = ${key} AND h."changedAt" <= ${at}
      ORDER BY h."changedAt" DESC, h."id" DESC LIMIT 1
    ) AS "latest") x
  )`;
}

const cursorOf = (c: GroupPropertyChange) => encodeCursor([c.changedAt.toISOString(), c.id.toString()]);

/** Reading a group's property history. */
export class PropertyHistoryService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Newest first (ties: latest recorded first); `key` keeps one key's changes. */
  async list(
    projectId: string,
    groupId: string,
    key: string | null | undefined,
    args: PageArgs,
  ): Promise<Page<GroupPropertyChange>> {
    requireId(groupId, 'id');
    if (key != null && (key.length === 0 || key.length > 200))
      throw new ValidationError('key', 'must be 1-200 characters');
    const size = pageSize(args);
    const after = args.after ? decodeCursor(args.after, ['string', 'string']) : null;
    const afterTime = after ? cursorTime(after[0]!) : null;
    // The id is a bigint: digits, and no larger than PostgreSQL's bigint.
    if (after && (!/^\d{1,19}$/.test(after[1] as string) || BigInt(after[1]!) > 2n ** 63n - 1n)) {
      throw new ValidationError('after', 'is not a cursor returned by this connection');
    }
    const rows = await this.prisma.$queryRaw<GroupPropertyChange[]>`
      SELECT "id", "groupId", "key", "value", "previousValue", "changedAt" FROM "GroupPropertyChange"
      WHERE "projectId" = ${projectId} AND "groupId" = ${groupId}
        ${key != null ? Prisma.sql`AND "key" = ${key}` : Prisma.empty}
        ${after ? Prisma.sql`AND ("changedAt", "id") < (${afterTime}::timestamptz, ${after[1] as string}::bigint)` : Prisma.empty}
      ORDER BY "changedAt" DESC, "id" DESC
      LIMIT ${size + 1}`;
    return toPage(rows, size, cursorOf, after !== null);
  }
}
