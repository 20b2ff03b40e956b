import { builder, ID_FOR_WRITERS, READ_SCOPES } from '../builder.ts';
import { EventFilterRef } from './EventFilter.ts';
import { GroupRef } from './Group.ts';
import { ProfileRef } from './Profile.ts';

export const EventRef = builder.prismaObject('Event', {
  ...READ_SCOPES,
  description: 'An analytics event, tagged with the groups it counts for.',
  fields: (t) => ({
    id: t.exposeID('id', ID_FOR_WRITERS),
    name: t.exposeString('name'),
    profileId: t.exposeID('profileId', { nullable: true }),
    deviceId: t.exposeString('deviceId', { nullable: true }),
    sessionId: t.exposeString('sessionId', { nullable: true }),
    groupIds: t.exposeIDList('groupIds'),
    properties: t.expose('properties', { type: 'JSON' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'Event time.' }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectFields(EventRef, (t) => ({
  profile: t.field({
    type: ProfileRef,
    nullable: true,
    resolve: (event, _args, ctx) => (event.profileId ? ctx.loaders.profile.load(event.profileId) : null),
  }),
  groups: t.field({
    type: [GroupRef],
    description: 'The tagged groups; a deleted group appears with its id only.',
    resolve: (event, _args, ctx) => Promise.all(event.groupIds.map((id) => ctx.loaders.group.load(id))),
  }),
}));

builder.queryField('events', (t) =>
  t.connection({
    type: EventRef,
    description: 'Events matching the filter, newest first.',
    args: { filter: t.arg({ type: EventFilterRef }) },
    resolve: (_root, args, ctx) => ctx.services.events.list(ctx.projectId, args.filter, args),
  }),
);
