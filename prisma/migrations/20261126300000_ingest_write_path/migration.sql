-- A cheaper write path for ingestion (see insertEvents in src/services/ingest.ts).

-- Rollup increments become HOT updates: the group-set indexes no longer carry
-- "events", so bumping a count touches no index, only the row's heap page (the
-- rollup tables keep free space on each page for it: fillfactor 80). Questions
-- about unique profiles or groups still read these indexes alone; event counts
-- read the rows, which are few per group set and hour.
DROP INDEX "RollupHour_projectId_groupSet_hour_idx";
CREATE INDEX "RollupHour_projectId_groupSet_hour_idx" ON "RollupHour"("projectId", "groupSet", "hour");
DROP INDEX "RollupHourProfile_projectId_groupSet_hour_idx";
CREATE INDEX "RollupHourProfile_projectId_groupSet_hour_idx" ON "RollupHourProfile"("projectId", "groupSet", "hour") INCLUDE ("profileId");
DROP INDEX "RollupHourName_projectId_groupSet_hour_idx";
CREATE INDEX "RollupHourName_projectId_groupSet_hour_idx" ON "RollupHourName"("projectId", "groupSet", "hour") INCLUDE ("name");

-- Nothing looks EventGroup rows up by event id (reads go by group and time, the
-- primary key), so this index only cost every insert.
DROP INDEX "EventGroup_projectId_eventId_idx";
