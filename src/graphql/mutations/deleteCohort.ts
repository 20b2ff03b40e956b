import { builder } from '../builder.ts';

builder.mutationField('deleteCohort', (t) =>
  t.boolean({
    description: 'Deletes a cohort (root keys). False when there was no such cohort.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.cohorts.delete(ctx.projectId, id),
  }),
);
