import { Prisma, type Group, type PrismaClient } from '../generated/prisma/client.ts';
import { requireId, requireName, requireProperties, splitPatch } from './validation.ts';
import { NotFoundError } from './errors.ts';
import { updateGroupRecordingChanges } from './propertyHistory.ts';

export interface UpsertGroupInput {
  id: string;
  type?: string | null;
  name?: string | null;
  properties?: unknown;
}

export interface UpdateGroupInput {
  id: string;
  type?: string | null;
  name?: string | null;
  properties?: unknown;
}

/** Passed through from plugin-prisma so nested selections load in the same query. */
export type GroupQuery = Omit<Prisma.GroupFindUniqueArgs, 'where'>;

/** The group entity: create, merge, dashboard edits, deletion. */
export class GroupService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Creates the group or merges into it, recording each changed property key
   * (see propertyHistory.ts) in the statement that changes it. The row is
   * created first when missing and then updated under its row lock, so
   * concurrent upserts of different keys never lose each other's writes and each
   * records the value it really replaced.
   * Omitted type/name keep the stored value.
   */
  async upsert(projectId: string, input: UpsertGroupInput, query: GroupQuery = {}): Promise<Group> {
    const id = requireId(input.id, 'input.id');
    const type = input.type == null ? null : requireName(input.type, 'input.type');
    const name = input.name == null ? null : requireName(input.name, 'input.name');
    const { set, remove } = splitPatch(requireProperties(input.properties, 'input.properties'));
    // Make sure the row exists, then merge into it; a deletion in between (rare) starts over.
    for (let attempt = 0; ; attempt++) {
      await this.prisma.$executeRaw`
        INSERT INTO "Group" ("projectId", "id") VALUES (${projectId}, ${id}) ON CONFLICT DO NOTHING`;
      const updated = await updateGroupRecordingChanges(
        this.prisma,
        projectId,
        id,
        { kind: 'merge', set, remove },
        { type: Prisma.sql`COALESCE(${type}, g."type")`, name: Prisma.sql`COALESCE(${name}, g."name")` },
      );
      if (updated || attempt >= 2) break;
    }
    return this.prisma.group.findUniqueOrThrow({ ...query, where: { projectId_id: { projectId, id } } });
  }

  /** Dashboard edit: replaces name, type and properties of an existing group, recording changed keys. */
  async update(projectId: string, input: UpdateGroupInput, query: GroupQuery = {}): Promise<Group> {
    const id = requireId(input.id, 'input.id');
    const type = input.type == null ? null : requireName(input.type, 'input.type');
    const name = input.name == null ? null : requireName(input.name, 'input.name');
    const properties = requireProperties(input.properties, 'input.properties');
    const found = await updateGroupRecordingChanges(
      this.prisma,
      projectId,
      id,
      { kind: 'replace', properties },
      { type: Prisma.sql`${type}`, name: Prisma.sql`${name}` },
    );
    if (!found) throw new NotFoundError('Group', id);
    return this.prisma.group.findUniqueOrThrow({ ...query, where: { projectId_id: { projectId, id } } });
  }

  /**
   * Removes the entity and ends its current memberships; events keep their tags
   * and membership history stays. Returns false when there was no such group.
   */
  async delete(projectId: string, id: string): Promise<boolean> {
    requireId(id, 'id');
    const [, deleted] = await this.prisma.$transaction([
      this.prisma.$executeRaw`
        UPDATE "GroupMembership" SET "leftAt" = now()
        WHERE "projectId" = ${projectId} AND "groupId" = ${id} AND "leftAt" IS NULL`,
      this.prisma.$executeRaw`DELETE FROM "Group" WHERE "projectId" = ${projectId} AND "id" = ${id}`,
    ]);
    return deleted > 0;
  }

  find(projectId: string, id: string, query: GroupQuery = {}): Promise<Group | null> {
    requireId(id, 'id');
    return this.prisma.group.findUnique({ ...query, where: { projectId_id: { projectId, id } } });
  }

  /** Group types in use with their counts, most groups first; placeholders have no type yet. */
  types(projectId: string): Promise<{ type: string; groupCount: number }[]> {
    return this.prisma.$queryRaw`
      SELECT "type", count(*)::int AS "groupCount" FROM "Group"
      WHERE "projectId" = ${projectId} AND "type" IS NOT NULL
      GROUP BY "type" ORDER BY "groupCount" DESC, "type"`;
  }

  /** Groups by id, for DataLoaders; missing ids are absent. */
  findMany(projectId: string, ids: readonly string[]): Promise<Group[]> {
    return this.prisma.group.findMany({ where: { projectId, id: { in: [...ids] } } });
  }

  /** Current members per group (0 for groups without any, or gone). */
  async memberCounts(projectId: string, ids: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.prisma.$queryRaw<{ groupId: string; count: number }[]>`
      SELECT "groupId", count(*)::int AS "count" FROM "GroupMembership"
      WHERE "projectId" = ${projectId} AND "groupId" = ANY(${[...ids]}::text[]) AND "leftAt" IS NULL
      GROUP BY "groupId"`;
    return new Map(rows.map((r) => [r.groupId, r.count]));
  }

  /** Time of the latest event tagged with each group: one index probe per group. */
  async lastActiveAt(projectId: string, ids: readonly string[]): Promise<Map<string, Date | null>> {
    const rows = await this.prisma.$queryRaw<{ id: string; at: Date | null }[]>`
      SELECT g AS "id", (
        SELECT max("createdAt") FROM "EventGroup" WHERE "projectId" = ${projectId} AND "groupId" = g
      ) AS "at"
      FROM unnest(${[...ids]}::text[]) g`;
    return new Map(rows.map((r) => [r.id, r.at]));
  }
}
