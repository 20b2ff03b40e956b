-- Saved cohorts: named rules over groups (of one type) or profiles. Only the
-- rules are stored; members are computed when a cohort is read or used as a
-- filter, so a cohort is never stale and needs no upkeep on ingest.
CREATE TABLE "Cohort" (
    "projectId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "groupType" TEXT,
    "definition" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Cohort_pkey" PRIMARY KEY ("projectId","id"),
    CONSTRAINT "Cohort_unit_check" CHECK ("unit" IN ('PROFILE', 'GROUP')),
    CONSTRAINT "Cohort_groupType_check" CHECK (("unit" = 'GROUP') = ("groupType" IS NOT NULL))
);

-- The cohorts list pages newest first.
CREATE INDEX "Cohort_projectId_createdAt_id_idx" ON "Cohort"("projectId", "createdAt" DESC, "id" DESC);

ALTER TABLE "Cohort" ADD CONSTRAINT "Cohort_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;
