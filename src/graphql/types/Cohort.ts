import type { Cohort } from '../../generated/prisma/client.ts';
import { builder, READ_SCOPES } from '../builder.ts';
import { PropertyFilterRef } from './EventFilter.ts';
import { IntRangeInputRef } from './IntRange.ts';
import { AnalysisUnitRef, UnitRef } from './AnalysisUnit.ts';

export const CohortMatchRef = builder.enumType('CohortMatch', {
  values: ['ALL', 'ANY'] as const,
  description: 'ALL: a unit must meet every rule; ANY: at least one.',
});

const PerformedRuleInputRef = builder.inputType('PerformedRuleInput', {
  description:
    'The unit did `eventName` between minCount and maxCount times (inclusive) in the last `lastDays` days, counting only events whose properties pass `properties`. For a group: events tagged with it; for a profile: its events.',
  fields: (t) => ({
    eventName: t.string({ required: true }),
    lastDays: t.int({ required: true, description: '1 to 1098.' }),
    minCount: t.int({ defaultValue: 1 }),
    maxCount: t.int({ description: 'Omitted: no upper bound.' }),
    properties: t.field({ type: [PropertyFilterRef], description: 'On event properties.' }),
  }),
});

const CohortRuleInputRef = builder.inputType('CohortRuleInput', {
  description: 'Exactly one of property, performed or memberCount.',
  fields: (t) => ({
    property: t.field({
      type: PropertyFilterRef,
      description: "On the unit's own properties (a group's or a profile's).",
    }),
    performed: t.field({ type: PerformedRuleInputRef }),
    memberCount: t.field({ type: IntRangeInputRef, description: 'Groups only: current members within the range.' }),
    negate: t.boolean({ defaultValue: false, description: 'Inverts the rule.' }),
  }),
});

export const CohortInputRef = builder.inputType('CohortInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    unit: t.field({ type: AnalysisUnitRef, required: true }),
    groupType: t.string({
      description: 'Required for unit GROUP (members are groups of this type); not allowed for PROFILE.',
    }),
    match: t.field({ type: CohortMatchRef, defaultValue: 'ALL' }),
    rules: t.field({ type: [CohortRuleInputRef], required: true, description: '1 to 20 rules.' }),
  }),
});

export const CohortRef = builder.objectRef<Cohort>('Cohort').implement({
  ...READ_SCOPES,
  description:
    'A saved set of rules over groups of one type or over profiles. Members are evaluated when read, so they are never stale.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    unit: t.field({ type: AnalysisUnitRef, resolve: (c) => c.unit as 'PROFILE' | 'GROUP' }),
    groupType: t.exposeString('groupType', { nullable: true }),
    definition: t.field({
      type: 'JSON',
      description: '{ unit, groupType, match, rules } as stored (defaults filled in), to show and edit.',
      resolve: (c) => c.definition,
    }),
    size: t.int({
      description: 'Members now.',
      resolve: (c, _args, ctx) => ctx.services.cohorts.size(c),
    }),
    members: t.connection({
      type: UnitRef,
      description: 'Members now, by id.',
      resolve: (c, args, ctx) => ctx.services.cohorts.members(c, args),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  cohort: t.field({
    type: CohortRef,
    nullable: true,
    description: 'One cohort of this project by its id, or null.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.cohorts.find(ctx.projectId, id),
  }),
  cohorts: t.connection({
    type: CohortRef,
    description: 'Cohorts, newest first.',
    resolve: (_root, args, ctx) => ctx.services.cohorts.list(ctx.projectId, args),
  }),
}));
