import { randomUUID } from 'node:crypto';

import type { PrismaClient, Profile } from '../generated/prisma/client.ts';
import { NotFoundError } from './errors.ts';
import { queryTime, requireId, requireIdList } from './validation.ts';
import { BackfillService } from './backfill.ts';
import { ValidationError } from './errors.ts';
import { insertEvents, type EventRow } from './ingest.ts';
import type { ProfileQuery } from './profiles.ts';

export interface SetGroupsInput {
  profileId: string;
  groupIds: readonly string[];
  /**
   * setGroups only: the membership counts from this time (not after now). An open
   * membership that started later is moved back to it, never forward, and the
   * profile's events since then are tagged (see backfill.ts).
   */
  since?: Date | null;
}

/** Links profiles to groups; history is kept as rows with joinedAt/leftAt. */
export class MembershipService {
  private readonly backfill: BackfillService;

  constructor(private readonly prisma: PrismaClient) {
    this.backfill = new BackfillService(prisma);
  }

  /**
   * Opens a membership for each group the profile is not currently in, creating
   * the profile and placeholder groups as needed, and records one `assign_group`
   * event tagged with the groups when anything changed. Setting a current
   * membership again changes nothing; concurrent calls leave one current row
   * (a partial unique index). With `since`, the membership starts then and the
   * profile's events from then on are tagged with the groups afterwards, chunk by
   * chunk (repeating the call finishes an interrupted backfill).
   */
  async setGroups(
    projectId: string,
    input: SetGroupsInput,
    query: ProfileQuery = {},
    now = new Date(),
  ): Promise<Profile> {
    const profileId = requireId(input.profileId, 'input.profileId');
    const groupIds = requireIdList(input.groupIds, 'input.groupIds');
    const since = queryTime(input.since, 'input.since') ?? null;
    if (since && since.getTime() > now.getTime()) {
      throw new ValidationError('input.since', 'must be a valid time, not in the future');
    }
    await this.prisma.$transaction(async (tx) => {
      const added = await tx.$queryRaw<{ groupId: string }[]>`
        WITH profile AS (
          INSERT INTO "Profile" ("projectId", "id") VALUES (${projectId}, ${profileId})
          ON CONFLICT DO NOTHING
        ),
        placeholder_groups AS (
          INSERT INTO "Group" ("projectId", "id")
          SELECT ${projectId}, g FROM unnest(${groupIds}::text[]) g ORDER BY g
          ON CONFLICT DO NOTHING
        )
        INSERT INTO "GroupMembership" ("projectId", "profileId", "groupId", "joinedAt")
        SELECT ${projectId}, ${profileId}, g, ${since ?? now} FROM unnest(${groupIds}::text[]) g ORDER BY g
        ON CONFLICT ("projectId", "profileId", "groupId") WHERE "leftAt" IS NULL DO NOTHING
        RETURNING "groupId"`;
      if (since) {
        // A current membership that started later now starts at since (earlier only, never later).
        await tx.$executeRaw`
          UPDATE "GroupMembership" SET "joinedAt" = ${since}
          WHERE "projectId" = ${projectId} AND "profileId" = ${profileId}
            AND "groupId" = ANY(${groupIds}::text[]) AND "leftAt" IS NULL AND "joinedAt" > ${since}`;
      }
      if (added.length === 0) return;
      const event: EventRow = {
        id: randomUUID(),
        name: 'assign_group',
        profileId,
        deviceId: null,
        sessionId: null,
        groups: groupIds,
        properties: { added: added.map((r) => r.groupId).sort() },
        createdAt: now.toISOString(),
        inherit: false,
      };
      await insertEvents(tx, projectId, [event]);
    });
    if (since) {
      for (const groupId of groupIds) {
        await this.backfill.backfill(projectId, { groupId, profileIds: [profileId], from: since });
      }
    }
    return this.prisma.profile.findUniqueOrThrow({ ...query, where: { projectId_id: { projectId, id: profileId } } });
  }

  /** Ends the profile's current memberships of these groups; history stays. */
  async removeGroups(projectId: string, input: SetGroupsInput, query: ProfileQuery = {}): Promise<Profile> {
    const profileId = requireId(input.profileId, 'input.profileId');
    const groupIds = requireIdList(input.groupIds, 'input.groupIds');
    if (input.since != null) throw new ValidationError('input.since', 'only setGroups takes since');
    await this.prisma.$executeRaw`
      UPDATE "GroupMembership" SET "leftAt" = now()
      WHERE "projectId" = ${projectId} AND "profileId" = ${profileId}
        AND "groupId" = ANY(${groupIds}::text[]) AND "leftAt" IS NULL`;
    const profile = await this.prisma.profile.findUnique({
      ...query,
      where: { projectId_id: { projectId, id: profileId } },
    });
    if (!profile) throw new NotFoundError('Profile', profileId);
    return profile;
  }
}
