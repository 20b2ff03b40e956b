import type { TrackResult } from '../../services/ingest.ts';
import { EventRef } from '../types/Event.ts';
import { builder } from '../builder.ts';

export const TrackInputRef = builder.inputType('TrackInput', {
  fields: (t) => ({
    id: t.id({ description: 'Client event id: the idempotency key (a UUID is recommended).' }),
    name: t.string({ required: true }),
    profileId: t.id(),
    deviceId: t.string(),
    sessionId: t.string(),
    groups: t.idList({ description: "This event's groups, merged with the profile's current memberships." }),
    properties: t.field({ type: 'JSON' }),
    timestamp: t.field({ type: 'DateTime', description: 'Event time; default: now. At most 1 hour ahead.' }),
    inheritProfileGroups: t.boolean({
      description: "Set false to tag only the groups passed here, not the profile's memberships.",
    }),
  }),
});

const TrackResultRef = builder.objectRef<TrackResult>('TrackResult').implement({
  fields: (t) => ({
    event: t.field({ type: EventRef, resolve: (result) => result.event }),
    duplicate: t.exposeBoolean('duplicate', {
      description: 'True when an event with this id was already stored; `event` is the stored one.',
    }),
  }),
});

builder.mutationField('track', (t) =>
  t.field({
    type: TrackResultRef,
    description: 'Stores one event exactly once.',
    args: { input: t.arg({ type: TrackInputRef, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.ingest.track(ctx.projectId, input),
  }),
);
