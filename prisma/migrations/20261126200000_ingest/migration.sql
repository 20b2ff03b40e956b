-- Ingestion over OpenPanel's POST /track: device ids and server-side sessions.

-- One random salt per project and UTC day. Device ids are a hash of the salt,
-- user agent and IP, so a device is recognisable for a day without storing its IP;
-- salts older than the previous day are deleted, which makes old ids unlinkable.
-- Every server process reads the same row, so all derive the same device ids.
CREATE TABLE "DeviceSalt" (
    "projectId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "salt" TEXT NOT NULL,

    CONSTRAINT "DeviceSalt_pkey" PRIMARY KEY ("projectId","day")
);

-- The current session of each device: continued while the device is active
-- within 30 minutes, otherwise replaced by a new session id.
CREATE TABLE "DeviceSession" (
    "projectId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "DeviceSession_pkey" PRIMARY KEY ("projectId","deviceId")
);

-- Idle sessions are pruned by age.
CREATE INDEX "DeviceSession_projectId_lastSeenAt_idx" ON "DeviceSession"("projectId", "lastSeenAt");

-- Deleting a project removes its salts and sessions (the Prisma models carry no
-- relation so the Project model stays as it is).
ALTER TABLE "DeviceSalt" ADD CONSTRAINT "DeviceSalt_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "DeviceSession" ADD CONSTRAINT "DeviceSession_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
