import { builder } from '../builder.ts';

builder.mutationField('deleteGroup', (t) =>
  t.boolean({
    description:
      'Removes the group and ends its memberships; events keep their tags. False when there was no such group.',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.groups.delete(ctx.projectId, id),
  }),
);
