import { prismaConnectionHelpers, queryFromInfo } from '@pothos/plugin-prisma';

import { MAX_TOP_EVENTS, type GroupStats } from '../../services/analysis/groupOverview.ts';
import { ValidationError } from '../../services/errors.ts';
import { queryTime } from '../../services/validation.ts';
import { builder, ID_FOR_WRITERS, READ_SCOPES } from '../builder.ts';
import { EventRef } from './Event.ts';
import { EventFilterRef } from './EventFilter.ts';
import { GroupFilterRef, GroupOrderRef } from './GroupFilter.ts';
import { ProfileRef } from './Profile.ts';

const EventCountRef = builder.objectRef<{ name: string; count: number }>('EventCount').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    count: t.exposeInt('count'),
  }),
});

const GroupStatsRef = builder.objectRef<GroupStats>('GroupStats').implement({
  description: "Totals over the group's tagged events in the requested range.",
  fields: (t) => ({
    eventCount: t.exposeInt('eventCount'),
    uniqueProfiles: t.exposeInt('uniqueProfiles'),
    firstSeenAt: t.expose('firstSeenAt', { type: 'DateTime', nullable: true }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
    topEvents: t.field({
      type: [EventCountRef],
      description: `Most frequent event names, most first (limit 1-${MAX_TOP_EVENTS}, default 5).`,
      args: { limit: t.arg.int({ defaultValue: 5 }) },
      resolve: (stats, { limit }) => {
        if (limit == null || limit < 1 || limit > MAX_TOP_EVENTS) {
          throw new ValidationError('limit', `must be between 1 and ${MAX_TOP_EVENTS}`);
        }
        return stats.topEvents.slice(0, limit);
      },
    }),
  }),
});

interface MemberEdge {
  joinedAt: Date;
  leftAt: Date | null;
}

// Members page through membership rows (cursor and joinedAt/leftAt live there)
// while each node is the member's profile.
const memberEdges = prismaConnectionHelpers(builder, 'GroupMembership', {
  cursor: 'projectId_id',
  select: (nodeSelection) => ({ joinedAt: true, leftAt: true, profile: nodeSelection({ select: { id: true } }) }),
  resolveNode: (membership) => membership.profile,
});

export const GroupRef = builder.prismaObject('Group', {
  ...READ_SCOPES,
  description: 'A company, workspace, team… Placeholders (created by a first reference) have no type or name yet.',
  fields: (t) => ({
    id: t.exposeID('id', ID_FOR_WRITERS),
    type: t.exposeString('type', { nullable: true }),
    name: t.exposeString('name', { nullable: true }),
    properties: t.expose('properties', { type: 'JSON' }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Null for a deleted group still named by events.',
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
    // A loader rather than a relation count: groups also arrive from events and
    // memberships (and may since have been deleted), not only from Prisma queries.
    memberCount: t.int({
      description: 'Current members.',
      resolve: (group, _args, ctx) => ctx.loaders.memberCount.load(group.id),
    }),
  }),
});

// Fields that reference other types are added separately so the refs do not
// depend on each other while being declared.
builder.prismaObjectFields(GroupRef, (t) => ({
  lastActiveAt: t.field({
    type: 'DateTime',
    nullable: true,
    description: 'Time of the latest event tagged with this group.',
    resolve: (group, _args, ctx) => ctx.loaders.lastActiveAt.load(group.id),
  }),
  members: t.connection(
    {
      type: ProfileRef,
      description: 'Current members, latest joiners first; includeFormer adds past memberships.',
      args: { includeFormer: t.arg.boolean({ defaultValue: false }) },
      select: (args, ctx, nestedSelection) => ({
        memberships: {
          ...memberEdges.getQuery(args, ctx, nestedSelection),
          where: args.includeFormer ? {} : { leftAt: null },
          orderBy: [{ joinedAt: 'desc' }, { id: 'desc' }],
        },
      }),
      // The helper's edges are membership rows carrying the profile as node; only the
      // profile fields the query asks for are selected, hence the widening casts.
      resolve: (group, args, ctx) => memberEdges.resolve(group.memberships, args, ctx) as never,
    },
    { name: 'GroupMemberConnection' },
    {
      name: 'GroupMemberEdge',
      fields: (edge) => ({
        joinedAt: edge.field({ type: 'DateTime', resolve: (m) => (m as unknown as MemberEdge).joinedAt }),
        leftAt: edge.field({ type: 'DateTime', nullable: true, resolve: (m) => (m as unknown as MemberEdge).leftAt }),
      }),
    },
  ),
  events: t.connection({
    type: EventRef,
    description: 'Events tagged with this group, newest first.',
    args: { filter: t.arg({ type: EventFilterRef }) },
    resolve: (group, args, ctx) => ctx.services.events.list(ctx.projectId, args.filter, args, group.id),
  }),
  stats: t.field({
    type: GroupStatsRef,
    description:
      'Totals over the range. Unlike `activity` and `memberGrowth` (default: the last 30 days), an omitted bound here is open: no arguments means all time.',
    args: {
      from: t.arg({
        type: 'DateTime',
        description: 'Inclusive; omitted: no lower bound (all time, not 30 days as in `activity`).',
      }),
      to: t.arg({ type: 'DateTime', description: 'Exclusive; omitted: no upper bound (all time).' }),
    },
    resolve: (group, { from, to }, ctx) =>
      ctx.loaders.groupStats.load({ groupId: group.id, from: queryTime(from, 'from'), to: queryTime(to, 'to') }),
  }),
}));

const GroupTypeRef = builder.objectRef<{ type: string; groupCount: number }>('GroupType').implement({
  fields: (t) => ({
    type: t.exposeString('type'),
    groupCount: t.exposeInt('groupCount'),
  }),
});

builder.queryFields((t) => ({
  group: t.prismaField({
    type: 'Group',
    nullable: true,
    description: 'One group of this project by its id, or null.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.services.groups.find(ctx.projectId, args.id, query),
  }),
  groups: t.connection({
    type: GroupRef,
    description:
      'Groups matching every argument given, newest first unless `orderBy` says otherwise. `search` matches id and name; `cohortId` keeps the members of a cohort of groups.',
    args: {
      type: t.arg.string(),
      search: t.arg.string(),
      filter: t.arg({ type: GroupFilterRef }),
      orderBy: t.arg({ type: GroupOrderRef }),
      cohortId: t.arg.id(),
    },
    // The page's rows are loaded with the selection the query asks for (nested relations included).
    resolve: (_root, args, ctx, info) =>
      ctx.services.groupList.list(
        ctx.projectId,
        args,
        queryFromInfo({ context: ctx, info, typeName: 'Group', path: ['edges', 'node'] }),
      ),
  }),
  groupTypes: t.field({
    type: [GroupTypeRef],
    description: 'Group types in use, with how many groups each has.',
    resolve: (_root, _args, ctx) => ctx.services.groups.types(ctx.projectId),
  }),
}));
