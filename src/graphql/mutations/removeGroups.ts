import { builder } from '../builder.ts';
import { SetGroupsInputRef } from './setGroups.ts';

builder.mutationField('removeGroups', (t) =>
  t.prismaField({
    type: 'Profile',
    description: 'Ends the current memberships of these groups; history is kept and re-joining opens a new one.',
    args: { input: t.arg({ type: SetGroupsInputRef, required: true }) },
    resolve: (query, _root, { input }, ctx) => ctx.services.memberships.removeGroups(ctx.projectId, input, query),
  }),
);
