import { builder } from '../builder.ts';
import { CohortInputRef, CohortRef } from '../types/Cohort.ts';

builder.mutationField('createCohort', (t) =>
  t.field({
    type: CohortRef,
    description: 'Saves a cohort (root keys).',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CohortInputRef, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.cohorts.create(ctx.projectId, input),
  }),
);
