-- CreateEnum
CREATE TYPE "ApiClientMode" AS ENUM ('write', 'read', 'root');

-- CreateTable
CREATE TABLE "Project" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "inheritProfileGroups" BOOLEAN NOT NULL DEFAULT true,
    "allowedOrigins" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiClient" (
    "projectId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "mode" "ApiClientMode" NOT NULL,
    "name" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiClient_pkey" PRIMARY KEY ("projectId","id")
);

-- CreateTable
CREATE TABLE "Profile" (
    "projectId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "firstName" TEXT,
    "lastName" TEXT,
    "email" TEXT,
    "avatar" TEXT,
    "properties" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Profile_pkey" PRIMARY KEY ("projectId","id")
);

-- CreateTable
CREATE TABLE "Group" (
    "projectId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "type" TEXT,
    "name" TEXT,
    "properties" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Group_pkey" PRIMARY KEY ("projectId","id")
);

-- CreateTable
CREATE TABLE "GroupMembership" (
    "projectId" TEXT NOT NULL,
    "id" BIGSERIAL NOT NULL,
    "profileId" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "joinedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leftAt" TIMESTAMPTZ(3),

    CONSTRAINT "GroupMembership_pkey" PRIMARY KEY ("projectId","id")
);

-- CreateTable
CREATE TABLE "Event" (
    "projectId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "profileId" TEXT,
    "deviceId" TEXT,
    "sessionId" TEXT,
    "groupIds" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "properties" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("projectId","id")
);

-- CreateTable
CREATE TABLE "EventGroup" (
    "projectId" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "eventId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "profileId" TEXT,

    CONSTRAINT "EventGroup_pkey" PRIMARY KEY ("projectId","groupId","createdAt","eventId")
);

-- CreateIndex
CREATE INDEX "ApiClient_id_idx" ON "ApiClient"("id");

-- CreateIndex
CREATE INDEX "Group_projectId_type_idx" ON "Group"("projectId", "type");

-- CreateIndex
CREATE INDEX "Group_projectId_createdAt_idx" ON "Group"("projectId", "createdAt");

-- CreateIndex
CREATE INDEX "GroupMembership_projectId_groupId_leftAt_idx" ON "GroupMembership"("projectId", "groupId", "leftAt");

-- CreateIndex
CREATE INDEX "GroupMembership_projectId_profileId_leftAt_idx" ON "GroupMembership"("projectId", "profileId", "leftAt");

-- At most one current membership per profile and group (not expressible in the Prisma schema).
CREATE UNIQUE INDEX "GroupMembership_current_key" ON "GroupMembership"("projectId", "profileId", "groupId") WHERE "leftAt" IS NULL;

-- CreateIndex
CREATE INDEX "Event_projectId_createdAt_id_idx" ON "Event"("projectId", "createdAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "Event_projectId_profileId_createdAt_idx" ON "Event"("projectId", "profileId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Event_projectId_name_createdAt_idx" ON "Event"("projectId", "name", "createdAt");

-- CreateIndex
CREATE INDEX "EventGroup_projectId_eventId_idx" ON "EventGroup"("projectId", "eventId");

-- AddForeignKey
ALTER TABLE "ApiClient" ADD CONSTRAINT "ApiClient_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Profile" ADD CONSTRAINT "Profile_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GroupMembership" ADD CONSTRAINT "GroupMembership_projectId_profileId_fkey" FOREIGN KEY ("projectId", "profileId") REFERENCES "Profile"("projectId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- GroupMembership → Group deliberately has no foreign key: deleteGroup removes the
-- entity while the membership history stays.
