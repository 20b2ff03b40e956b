import type { ActivityPoint, MemberGrowthPoint } from '../../services/analysis/groupOverview.ts';
import { builder } from '../builder.ts';
import { AggregationIntervalRef } from './EventAggregation.ts';

// The group page: activity and member growth, next to Group.stats.

const GroupActivityPointRef = builder.objectRef<ActivityPoint>('GroupActivityPoint').implement({
  fields: (t) => ({
    bucket: t.expose('bucket', { type: 'DateTime', description: 'Start of the bucket.' }),
    events: t.exposeInt('events'),
    uniqueProfiles: t.exposeInt('uniqueProfiles'),
  }),
});

const MemberGrowthPointRef = builder.objectRef<MemberGrowthPoint>('MemberGrowthPoint').implement({
  fields: (t) => ({
    bucket: t.expose('bucket', { type: 'DateTime', description: 'Start of the bucket.' }),
    members: t.exposeInt('members', { description: 'Members at the end of the bucket (at `to` for the last one).' }),
    joined: t.exposeInt('joined', { description: 'Memberships that began in the bucket.' }),
    left: t.exposeInt('left', { description: 'Memberships that ended in the bucket.' }),
  }),
});

builder.prismaObjectField('Group', 'activity', (t) =>
  t.field({
    type: [GroupActivityPointRef],
    description:
      'Events and unique profiles tagged with this group per bucket, every bucket present. Default range: the last 30 days (unlike `stats`, whose default is all time).',
    args: {
      from: t.arg({
        type: 'DateTime',
        description: 'Inclusive; omitted: 30 days before `to` (not all time as in `stats`).',
      }),
      to: t.arg({ type: 'DateTime', description: 'Exclusive; default: now.' }),
      interval: t.arg({ type: AggregationIntervalRef, defaultValue: 'DAY' }),
      timezone: t.arg.string({ defaultValue: 'UTC' }),
    },
    resolve: (group, args, ctx) => ctx.services.groupOverview.activity(ctx.projectId, group.id, args),
  }),
);

builder.prismaObjectField('Group', 'memberGrowth', (t) =>
  t.field({
    type: [MemberGrowthPointRef],
    description:
      'Members over time from membership history (joins and departures), every bucket present. Default range: the last 30 days.',
    args: {
      from: t.arg({
        type: 'DateTime',
        description: 'Inclusive; omitted: 30 days before `to` (not all time as in `stats`).',
      }),
      to: t.arg({ type: 'DateTime', description: 'Exclusive; default: now.' }),
      interval: t.arg({ type: AggregationIntervalRef, defaultValue: 'DAY' }),
      timezone: t.arg.string({ defaultValue: 'UTC' }),
    },
    resolve: (group, args, ctx) => ctx.services.groupOverview.memberGrowth(ctx.projectId, group.id, args),
  }),
);
