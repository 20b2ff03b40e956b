import { builder } from '../builder.ts';

builder.prismaObject('Group', {
  description: 'A company, workspace, team… Placeholders (created by a first reference) have no type or name yet.',
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.exposeString('type', { nullable: true }),
    name: t.exposeString('name', { nullable: true }),
    properties: t.expose('properties', { type: 'JSON' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryField('group', (t) =>
  t.prismaField({
    type: 'Group',
    nullable: true,
    description: 'One group of this project by its id, or null.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.services.groups.find(ctx.projectId, args.id, query),
  }),
);
