import { builder } from '../builder.ts';

const UpsertGroupInputRef = builder.inputType('UpsertGroupInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    type: t.string({ description: 'company, workspace, team… Omitted: keeps the stored type.' }),
    name: t.string({ description: 'Display name. Omitted: keeps the stored name.' }),
    properties: t.field({
      type: 'JSON',
      description: 'Merged shallowly into the stored properties; a key sent as null is removed.',
    }),
  }),
});

builder.mutationField('upsertGroup', (t) =>
  t.prismaField({
    type: 'Group',
    description: 'Creates the group, or merges type, name and properties into it.',
    args: { input: t.arg({ type: UpsertGroupInputRef, required: true }) },
    resolve: (query, _root, { input }, ctx) => ctx.services.groups.upsert(ctx.projectId, input, query),
  }),
);
