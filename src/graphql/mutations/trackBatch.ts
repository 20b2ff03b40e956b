import type { TrackBatchError, TrackBatchItem, TrackBatchResult } from '../../services/ingest.ts';
import { builder } from '../builder.ts';
import { TrackInputRef } from './track.ts';

const TrackBatchErrorRef = builder.objectRef<TrackBatchError>('TrackBatchError').implement({
  description: 'An event of the batch that was not stored, and why.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of the event in `events`.' }),
    code: t.exposeString('code', { description: 'e.g. VALIDATION_FAILED' }),
    message: t.exposeString('message'),
  }),
});

const TrackBatchItemStatusRef = builder.enumType('TrackBatchItemStatus', {
  values: {
    ACCEPTED: { description: 'Stored by this call.' },
    DUPLICATE: { description: 'Already stored (a retry), or repeated earlier in the same batch.' },
    REJECTED: { description: 'Invalid; see `rejected`.' },
  } as const,
});

const TrackBatchItemRef = builder.objectRef<TrackBatchItem>('TrackBatchItem').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    id: t.exposeID('id', {
      nullable: true,
      description: "The event's id: the one sent, or the one the server assigned. Null when rejected.",
    }),
    status: t.field({ type: TrackBatchItemStatusRef, resolve: (item) => item.status }),
  }),
});

const TrackBatchResultRef = builder.objectRef<TrackBatchResult>('TrackBatchResult').implement({
  fields: (t) => ({
    accepted: t.exposeInt('accepted', { description: 'Events stored by this call.' }),
    duplicates: t.exposeInt('duplicates', {
      description: 'Valid events already stored (retries), or repeated within the batch: stored once.',
    }),
    rejected: t.field({ type: [TrackBatchErrorRef], resolve: (result) => result.rejected }),
    items: t.field({
      type: [TrackBatchItemRef],
      description: 'One entry per event, in order: its id and what happened to it.',
      resolve: (result) => result.items,
    }),
  }),
});

builder.mutationField('trackBatch', (t) =>
  t.field({
    type: TrackBatchResultRef,
    description:
      'Stores up to TRACK_BATCH_MAX (default 1,000) events in one statement, each exactly once by id. Invalid events are rejected one by one; the rest are stored.',
    args: { events: t.arg({ type: [TrackInputRef], required: true }) },
    resolve: (_root, { events }, ctx) => ctx.services.ingest.trackBatch(ctx.projectId, events),
  }),
);
