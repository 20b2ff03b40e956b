-- Group property history: one row per changed top-level key of a group's
-- properties, written in the same transaction as the change by upsertGroup and
-- updateGroup. "value" is the new value and "previousValue" the old one; SQL
-- NULL stands for "absent" (a key removed with null records value NULL, a key
-- set for the first time records previousValue NULL). An update that changes
-- nothing records nothing.
--
-- Groups changed before this table existed have no rows: their current values
-- count as known since the group's "createdAt" (propertiesAt: EVENT_TIME).
-- Deleting a group deletes its history with it, so a group made again later
-- under the same id starts a history of its own.
CREATE TABLE "GroupPropertyChange" (
    "projectId" TEXT NOT NULL,
    "id" BIGSERIAL NOT NULL,
    "groupId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" JSONB,
    "previousValue" JSONB,
    "changedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GroupPropertyChange_pkey" PRIMARY KEY ("projectId","id")
);

-- A group's history, newest first, optionally of one key; and "the value of key
-- k at time t" for EVENT_TIME questions.
CREATE INDEX "GroupPropertyChange_projectId_groupId_key_changedAt_idx" ON "GroupPropertyChange"("projectId", "groupId", "key", "changedAt");
CREATE INDEX "GroupPropertyChange_projectId_groupId_changedAt_idx" ON "GroupPropertyChange"("projectId", "groupId", "changedAt");
-- The instants at which any group's key changed within a range.
CREATE INDEX "GroupPropertyChange_projectId_key_changedAt_idx" ON "GroupPropertyChange"("projectId", "key", "changedAt");

ALTER TABLE "GroupPropertyChange" ADD CONSTRAINT "GroupPropertyChange_projectId_groupId_fkey" FOREIGN KEY ("projectId", "groupId") REFERENCES "Group"("projectId", "id") ON DELETE CASCADE ON UPDATE CASCADE;
