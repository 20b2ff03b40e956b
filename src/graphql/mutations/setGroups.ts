import { builder } from '../builder.ts';

export const SetGroupsInputRef = builder.inputType('SetGroupsInput', {
  fields: (t) => ({
    profileId: t.id({ required: true }),
    groupIds: t.idList({ required: true }),
    since: t.field({
      type: 'DateTime',
      description:
        "setGroups only: the membership starts at this time (not in the future; an open membership that started later moves back to it) and the profile's events since then are tagged with the groups, as backfillGroups does.",
    }),
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
