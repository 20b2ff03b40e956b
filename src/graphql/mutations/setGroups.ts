import { builder } from '../builder.ts';

export const SetGroupsInputRef = builder.inputType('SetGroupsInput', {
  fields: (t) => ({
    profileId: t.id({ required: true }),
    groupIds: t.idList({ required: true }),
  }),
});

builder.mutationField('setGroups', (t) =>
  t.prismaField({
    type: 'Profile',
    description:
      'Adds the profile to these groups (placeholders for groups that do not exist yet) and records an assign_group event. Setting a current membership again changes nothing.',
    args: { input: t.arg({ type: SetGroupsInputRef, required: true }) },
    resolve: (query, _root, { input }, ctx) => ctx.services.memberships.setGroups(ctx.projectId, input, query),
  }),
);
