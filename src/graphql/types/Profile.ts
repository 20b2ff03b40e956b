import { builder, ID_FOR_WRITERS, READ_SCOPES } from '../builder.ts';
import { EventRef } from './Event.ts';
import { GroupRef } from './Group.ts';

export const ProfileRef = builder.prismaObject('Profile', {
  ...READ_SCOPES,
  description: "A person: the app's user id plus what identify told us.",
  fields: (t) => ({
    id: t.exposeID('id', ID_FOR_WRITERS),
    firstName: t.exposeString('firstName', { nullable: true }),
    lastName: t.exposeString('lastName', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    avatar: t.exposeString('avatar', { nullable: true }),
    properties: t.expose('properties', { type: 'JSON' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectFields(ProfileRef, (t) => ({
  memberships: t.relation('memberships', {
    description: 'Current memberships, oldest first; includeFormer adds ended ones (history).',
    args: { includeFormer: t.arg.boolean({ defaultValue: false }) },
    query: (args) => ({
      where: args.includeFormer ? {} : { leftAt: null },
      orderBy: [{ joinedAt: 'asc' }, { id: 'asc' }],
    }),
  }),
  groups: t.field({
    type: [GroupRef],
    description: 'The groups this profile currently belongs to.',
    select: {
      memberships: {
        where: { leftAt: null },
        select: { groupId: true },
        orderBy: [{ joinedAt: 'asc' }, { id: 'asc' }],
      },
    },
    resolve: (profile, _args, ctx) => Promise.all(profile.memberships.map((m) => ctx.loaders.group.load(m.groupId))),
  }),
  events: t.connection({
    type: EventRef,
    description: "This profile's events, newest first.",
    resolve: (profile, args, ctx) => ctx.services.events.list(ctx.projectId, { profileId: profile.id }, args),
  }),
}));

builder.prismaObject('GroupMembership', {
  ...READ_SCOPES,
  description: 'A period of membership: leftAt is null while it lasts.',
  fields: (t) => ({
    group: t.field({
      type: GroupRef,
      select: { groupId: true },
      resolve: (membership, _args, ctx) => ctx.loaders.group.load(membership.groupId),
    }),
    profile: t.relation('profile'),
    joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
    leftAt: t.expose('leftAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryFields((t) => ({
  profile: t.prismaField({
    type: 'Profile',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.services.profiles.find(ctx.projectId, args.id, query),
  }),
  profiles: t.prismaConnection({
    type: 'Profile',
    cursor: 'projectId_id',
    description: 'Profiles, newest first. `search` matches id, email and names; `groupId` keeps current members.',
    args: { search: t.arg.string(), groupId: t.arg.id() },
    resolve: (query, _root, args, ctx) => ctx.services.profiles.list(ctx.projectId, args, query),
  }),
}));
