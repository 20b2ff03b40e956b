import type { PrismaClient } from '../generated/prisma/client.ts';

/**
 * Groups, profiles and membership periods with their own history (creation,
 * join and leave times). The mutations stamp every row with the current time,
 * so loading history — the demo data — comes through here instead.
 */
export interface ImportedGroup {
  id: string;
  type: string;
  name: string;
  properties: Record<string, unknown>;
  createdAt: Date;
}

export interface ImportedProfile {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  properties: Record<string, unknown>;
  createdAt: Date;
}

export interface ImportedMembership {
  profileId: string;
  groupId: string;
  joinedAt: Date;
  leftAt: Date | null;
}

export interface BulkImport {
  groups: ImportedGroup[];
  profiles: ImportedProfile[];
  memberships: ImportedMembership[];
}

/** Rows per statement: large enough to be set-based, small enough for one JSON parameter. */
const CHUNK = 2_000;

async function inChunks<T>(rows: T[], insert: (json: string) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insert(JSON.stringify(rows.slice(i, i + CHUNK)));
}

/**
 * Stores the rows set-based, a few thousand a statement, creating the project
 * if needed. Groups replace type, name and properties of an existing group;
 * profiles already there are kept; membership periods are added as given.
 * Events are not imported here: they go through `insertEvents`, which also
 * maintains the group index and the rollups.
 */
export async function bulkImport(prisma: PrismaClient, projectId: string, rows: BulkImport): Promise<void> {
  await prisma.$executeRaw`INSERT INTO "Project" ("id") VALUES (${projectId}) ON CONFLICT DO NOTHING`;
  await inChunks(
    rows.groups,
    (json) => prisma.$executeRaw`
    INSERT INTO "Group" ("projectId", "id", "type", "name", "properties", "createdAt", "updatedAt")
    SELECT ${projectId}, "id", "type", "name", "properties", "createdAt", "createdAt"
    FROM jsonb_to_recordset(${json}::jsonb) AS x("id" text, "type" text, "name" text, "properties" jsonb, "createdAt" timestamptz)
    ON CONFLICT ("projectId", "id") DO UPDATE SET "type" = EXCLUDED."type", "name" = EXCLUDED."name", "properties" = EXCLUDED."properties"`,
  );
  await inChunks(
    rows.profiles,
    (json) => prisma.$executeRaw`
    INSERT INTO "Profile" ("projectId", "id", "firstName", "lastName", "email", "properties", "createdAt", "updatedAt")
    SELECT ${projectId}, "id", "firstName", "lastName", "email", "properties", "createdAt", "createdAt"
    FROM jsonb_to_recordset(${json}::jsonb) AS x("id" text, "firstName" text, "lastName" text, "email" text, "properties" jsonb, "createdAt" timestamptz)
    ON CONFLICT ("projectId", "id") DO NOTHING`,
  );
  await inChunks(
    rows.memberships,
    (json) => prisma.$executeRaw`
    INSERT INTO "GroupMembership" ("projectId", "profileId", "groupId", "joinedAt", "leftAt")
    SELECT ${projectId}, "profileId", "groupId", "joinedAt", "leftAt"
    FROM jsonb_to_recordset(${json}::jsonb) AS x("profileId" text, "groupId" text, "joinedAt" timestamptz, "leftAt" timestamptz)`,
  );
}
