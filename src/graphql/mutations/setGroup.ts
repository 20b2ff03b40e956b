import { builder } from '../builder.ts';

builder.mutationField('setGroup', (t) =>
  t.prismaField({
    type: 'Profile',
    description: 'setGroups with one group.',
    args: { profileId: t.arg.id({ required: true }), groupId: t.arg.id({ required: true }) },
    resolve: (query, _root, { profileId, groupId }, ctx) =>
      ctx.services.memberships.setGroups(ctx.projectId, { profileId, groupIds: [groupId] }, query),
  }),
);
