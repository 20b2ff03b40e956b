import { builder } from '../builder.ts';

export const EventRef = builder.prismaObject('Event', {
  description: 'An analytics event, tagged with the groups it counts for.',
  fields: (t) => ({
    id: t.exposeID('id'),
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
