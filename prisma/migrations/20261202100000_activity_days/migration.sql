-- Per-unit daily activity for the account-level analyses (retention, lifecycle,
-- stickiness, cohorts) and for unique-group counts: one row per project, UTC day
-- and group (or profile), kept by the ingest statement from the rows it actually
-- inserted, like the hourly rollups (see docs/architecture.md, "Precomputed state").
--
-- "hours" has bit h set when the unit had at least one event in UTC hour h of
-- that day, so any bucketing whose boundaries are whole UTC hours (a local day in
-- Europe/Berlin spans two UTC days) reads presence from these rows exactly;
-- "events" counts the events (an event with two groups counts for each).
-- Group rows exist for every group of an event, whatever its type: the type is
-- joined at query time, so changing it rewrites nothing. fillfactor leaves room
-- for the in-place (HOT) updates of a busy day.
CREATE TABLE "GroupActivityDay" (
    "projectId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "groupId" TEXT NOT NULL,
    "hours" INTEGER NOT NULL,
    "events" INTEGER NOT NULL,

    CONSTRAINT "GroupActivityDay_pkey" PRIMARY KEY ("projectId","day","groupId")
) WITH (fillfactor = 80);

CREATE TABLE "ProfileActivityDay" (
    "projectId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "profileId" TEXT NOT NULL,
    "hours" INTEGER NOT NULL,
    "events" INTEGER NOT NULL,

    CONSTRAINT "ProfileActivityDay_pkey" PRIMARY KEY ("projectId","day","profileId")
) WITH (fillfactor = 80);

-- The days of events stored before this migration.
INSERT INTO "GroupActivityDay" ("projectId", "day", "groupId", "hours", "events")
SELECT e."projectId", (e."createdAt" AT TIME ZONE 'UTC')::date, g,
       bit_or(1 << extract(hour FROM e."createdAt" AT TIME ZONE 'UTC')::int), count(*)
FROM "Event" e CROSS JOIN LATERAL unnest(e."groupIds") g
GROUP BY 1, 2, 3;

INSERT INTO "ProfileActivityDay" ("projectId", "day", "profileId", "hours", "events")
SELECT e."projectId", (e."createdAt" AT TIME ZONE 'UTC')::date, e."profileId",
       bit_or(1 << extract(hour FROM e."createdAt" AT TIME ZONE 'UTC')::int), count(*)
FROM "Event" e WHERE e."profileId" IS NOT NULL
GROUP BY 1, 2, 3;

-- Funnels and the analyses of named events read the events of a few names in a
-- time range together with their unit: the name index now carries the profile
-- and the groups, so those reads need not visit the table (same name, same keys:
-- one index write per event, as before).
DROP INDEX "Event_projectId_name_createdAt_idx";
CREATE INDEX "Event_projectId_name_createdAt_idx" ON "Event"("projectId", "name", "createdAt") INCLUDE ("profileId", "groupIds");
