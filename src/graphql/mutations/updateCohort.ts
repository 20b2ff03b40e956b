import { builder } from '../builder.ts';
import { CohortInputRef, CohortRef } from '../types/Cohort.ts';

builder.mutationField('updateCohort', (t) =>
  t.field({
    type: CohortRef,
    description: "Replaces a cohort's name and definition (root keys; NOT_FOUND when there is no such cohort).",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: CohortInputRef, required: true }) },
    resolve: (_root, { id, input }, ctx) => ctx.services.cohorts.update(ctx.projectId, id, input),
  }),
);
