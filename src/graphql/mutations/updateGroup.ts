import { builder } from '../builder.ts';

const UpdateGroupInputRef = builder.inputType('UpdateGroupInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    type: t.string({ description: 'Replaces the type; omitted or null clears it.' }),
    name: t.string({ description: 'Replaces the name; omitted or null clears it.' }),
    properties: t.field({ type: 'JSON', description: 'Replaces all properties; omitted means {}.' }),
  }),
});

builder.mutationField('updateGroup', (t) =>
  t.prismaField({
    type: 'Group',
    description: 'Dashboard edit: replaces name, type and properties of an existing group (NOT_FOUND otherwise).',
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateGroupInputRef, required: true }) },
    resolve: (query, _root, { input }, ctx) => ctx.services.groups.update(ctx.projectId, input, query),
  }),
);
