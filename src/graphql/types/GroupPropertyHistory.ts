import type { GroupPropertyChange } from '../../services/propertyHistory.ts';
import { builder } from '../builder.ts';
import { GroupRef } from './Group.ts';

const GroupPropertyChangeRef = builder.objectRef<GroupPropertyChange>('GroupPropertyChange').implement({
  description: 'One change of one top-level property key of a group.',
  fields: (t) => ({
    key: t.exposeString('key'),
    value: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The new value; null when the key was removed.',
      resolve: (c) => c.value as never,
    }),
    previousValue: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The value before; null when the key was absent.',
      resolve: (c) => c.previousValue as never,
    }),
    changedAt: t.expose('changedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectFields(GroupRef, (t) => ({
  propertyHistory: t.connection(
    {
      type: GroupPropertyChangeRef,
      description:
        "Changes of the group's properties made by upsertGroup and updateGroup, newest first; `key` keeps one key's changes. Values set before history was recorded have no entry: they count as known since the group's createdAt.",
      args: { key: t.arg.string() },
      resolve: (group, args, ctx) => ctx.services.propertyHistory.list(ctx.projectId, group.id, args.key, args),
    },
    { name: 'GroupPropertyChangeConnection' },
  ),
}));
