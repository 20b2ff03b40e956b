import { builder } from '../builder.ts';

const IdentifyInputRef = builder.inputType('IdentifyInput', {
  fields: (t) => ({
    profileId: t.id({ required: true, description: "Your user's id." }),
    firstName: t.string(),
    lastName: t.string(),
    email: t.string(),
    avatar: t.string(),
    properties: t.field({ type: 'JSON', description: 'Merged shallowly; a key sent as null is removed.' }),
  }),
});

builder.mutationField('identify', (t) =>
  t.prismaField({
    type: 'Profile',
    description: 'Creates the profile or merges into it (omitted fields keep their values).',
    args: { input: t.arg({ type: IdentifyInputRef, required: true }) },
    resolve: (query, _root, { input }, ctx) => ctx.services.profiles.identify(ctx.projectId, input, query),
  }),
);
