-- Aggregation storage: hourly rollups per group set, maintained by the event
-- insert statement itself (src/services/ingest.ts) from the rows it actually
-- inserted, so they stay exact under retries and concurrent writers.
--
-- A "group set" is the sorted set of an event's group ids, keyed by the md5 of
-- its JSON text ('' for events without groups). Counting per set rather than per
-- group keeps every counting rule exact: an event with two groups is one row of
-- one set, counted once in each group's series and once in totals. Group
-- attributes (type, properties, name) are joined at query time, never copied,
-- so upsertGroup/updateGroup/deleteGroup cannot leave a rollup stale.

-- The group ids of each set; tiny (one row per distinct combination).
CREATE TABLE "GroupSet" (
    "projectId" TEXT NOT NULL,
    "groupSet" TEXT NOT NULL,
    "groupIds" TEXT[] NOT NULL,

    CONSTRAINT "GroupSet_pkey" PRIMARY KEY ("projectId","groupSet")
);

-- Events per UTC hour and group set. fillfactor leaves room on each page so the
-- increments of a busy hour are HOT updates.
CREATE TABLE "RollupHour" (
    "projectId" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "groupSet" TEXT NOT NULL,
    "events" INTEGER NOT NULL,

    CONSTRAINT "RollupHour_pkey" PRIMARY KEY ("projectId","hour","groupSet")
) WITH (fillfactor = 80);

-- Events per UTC hour, group set and profile ('' for anonymous events): unique profiles.
CREATE TABLE "RollupHourProfile" (
    "projectId" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "groupSet" TEXT NOT NULL,
    "profileId" TEXT NOT NULL,
    "events" INTEGER NOT NULL,

    CONSTRAINT "RollupHourProfile_pkey" PRIMARY KEY ("projectId","hour","groupSet","profileId")
) WITH (fillfactor = 80);

-- Events per UTC hour, group set and event name: event-name filters and breakdowns.
CREATE TABLE "RollupHourName" (
    "projectId" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "groupSet" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "events" INTEGER NOT NULL,

    CONSTRAINT "RollupHourName_pkey" PRIMARY KEY ("projectId","hour","groupSet","name")
) WITH (fillfactor = 80);

-- Questions about a few groups read only the sets containing them, from the
-- index alone (INCLUDE: not expressible in schema.prisma, which lists the keys).
CREATE INDEX "RollupHour_projectId_groupSet_hour_idx" ON "RollupHour"("projectId", "groupSet", "hour") INCLUDE ("events");
CREATE INDEX "RollupHourProfile_projectId_groupSet_hour_idx" ON "RollupHourProfile"("projectId", "groupSet", "hour") INCLUDE ("profileId", "events");
CREATE INDEX "RollupHourName_projectId_groupSet_hour_idx" ON "RollupHourName"("projectId", "groupSet", "hour") INCLUDE ("name", "events");

-- Rollups of events stored before this migration (each event exactly once).
WITH "rows" AS (
    SELECT e."projectId", date_trunc('hour', e."createdAt", 'UTC') AS "hour", e."name",
           COALESCE(e."profileId", '') AS "profileId", s."groupIds",
           CASE WHEN cardinality(s."groupIds") = 0 THEN '' ELSE md5(array_to_json(s."groupIds")::text) END AS "groupSet"
    FROM "Event" e
    CROSS JOIN LATERAL (SELECT ARRAY(SELECT g FROM unnest(e."groupIds") g ORDER BY g COLLATE "C") AS "groupIds") s
), "sets" AS (
    INSERT INTO "GroupSet" ("projectId", "groupSet", "groupIds")
    SELECT DISTINCT "projectId", "groupSet", "groupIds" FROM "rows"
), "hours" AS (
    INSERT INTO "RollupHour" ("projectId", "hour", "groupSet", "events")
    SELECT "projectId", "hour", "groupSet", count(*) FROM "rows" GROUP BY 1, 2, 3
), "profiles" AS (
    INSERT INTO "RollupHourProfile" ("projectId", "hour", "groupSet", "profileId", "events")
    SELECT "projectId", "hour", "groupSet", "profileId", count(*) FROM "rows" GROUP BY 1, 2, 3, 4
)
INSERT INTO "RollupHourName" ("projectId", "hour", "groupSet", "name", "events")
SELECT "projectId", "hour", "groupSet", "name", count(*) FROM "rows" GROUP BY 1, 2, 3, 4;
