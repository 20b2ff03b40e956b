import { randomUUID } from 'node:crypto';

import type { PrismaClient, Profile } from '../generated/prisma/client.ts';
import { NotFoundError } from './errors.ts';
import { requireId, requireIdList } from './validation.ts';
import { insertEvents, type EventRow } from './ingest.ts';
import type { ProfileQuery } from './profiles.ts';

export interface SetGroupsInput {
  profileId: string;
  groupIds: readonly string[];
}

/** Links profiles to groups; history is kept as rows with joinedAt/leftAt. */
export class MembershipService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Opens a membership for each group the profile is not currently in, creating
   * the profile and placeholder groups as needed, and records one `assign_group`
   * event tagged with the groups when anything changed. Setting a current
   * membership again changes nothing; concurrent calls leave one current row
   * (a partial unique index).
   */
  async setGroups(
    projectId: string,
    input: SetGroupsInput,
    query: ProfileQuery = {},
    now = new Date(),
  ): Promise<Profile> {
    const profileId = requireId(input.profileId, 'input.profileId');
    const groupIds = requireIdList(input.groupIds, 'input.groupIds');
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
        SELECT ${projectId}, ${profileId}, g, ${now} FROM unnest(${groupIds}::text[]) g ORDER BY g
        ON CONFLICT ("projectId", "profileId", "groupId") WHERE "leftAt" IS NULL DO NOTHING
        RETURNING "groupId"`;
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
    return this.prisma.profile.findUniqueOrThrow({ ...query, where: { projectId_id: { projectId, id: profileId } } });
  }

  /** Ends the profile's current memberships of these groups; history stays. */
  async removeGroups(projectId: string, input: SetGroupsInput, query: ProfileQuery = {}): Promise<Profile> {
    const profileId = requireId(input.profileId, 'input.profileId');
    const groupIds = requireIdList(input.groupIds, 'input.groupIds');
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
