import type { AggregationPoint, AggregationResult, AggregationSeries } from '../../services/analysis/assemble.ts';
import {
  AGGREGATION_BREAKDOWNS,
  AGGREGATION_INTERVALS,
  AGGREGATION_LIMITS,
  AGGREGATION_METRICS,
  PROPERTIES_AT,
  type AggregationInput,
} from '../../services/analysis/question.ts';
import { builder, READ_SCOPES } from '../builder.ts';
import { EventFilterRef } from './EventFilter.ts';

export const AggregationMetricRef = builder.enumType('AggregationMetric', {
  values: AGGREGATION_METRICS,
  description:
    'EVENTS counts events; UNIQUE_PROFILES distinct profiles; UNIQUE_GROUPS distinct groups (only those meeting the group type, ids and properties of the filter).',
});

export const AggregationIntervalRef = builder.enumType('AggregationInterval', {
  values: AGGREGATION_INTERVALS,
  description: 'Bucket size, in the requested time zone (days are 23 or 25 hours across DST changes).',
});

export const AggregationBreakdownRef = builder.enumType('AggregationBreakdown', {
  values: AGGREGATION_BREAKDOWNS,
  description:
    "GROUP: a series per group (an event with two groups counts in both); GROUP_TYPE / GROUP_PROPERTY: a series per type / value of the event's groups; EVENT_NAME: a series per event name. Events their groups give no key land in the series with key null.",
});

export const PropertiesAtRef = builder.enumType('PropertiesAt', {
  values: PROPERTIES_AT,
  description:
    "Which group property values GROUP_PROPERTY breakdowns and groupProperties filters use: NOW, today's; EVENT_TIME, the value each group had when the event happened (its latest recorded change at or before the event; values set before history was recorded count from the group's createdAt; before that, absent).",
});

const EventAggregationInputRef = builder.inputType('EventAggregationInput', {
  fields: (t) => ({
    metric: t.field({ type: AggregationMetricRef, required: true }),
    from: t.field({ type: 'DateTime', description: 'Inclusive; default: 30 days before `to`.' }),
    to: t.field({ type: 'DateTime', description: 'Exclusive; default: now.' }),
    interval: t.field({ type: AggregationIntervalRef, description: 'Omitted: a single bucket holding the totals.' }),
    timezone: t.string({ defaultValue: 'UTC', description: 'IANA time zone of the buckets, e.g. "Europe/Berlin".' }),
    breakdown: t.field({ type: AggregationBreakdownRef }),
    breakdownProperty: t.string({ description: 'The group property of breakdown GROUP_PROPERTY.' }),
    filter: t.field({ type: EventFilterRef }),
    limit: t.int({
      defaultValue: AGGREGATION_LIMITS.defaultSeries,
      description: `The top series by total (1-${AGGREGATION_LIMITS.maxSeries}).`,
    }),
    propertiesAt: t.field({ type: PropertiesAtRef, defaultValue: 'NOW' }),
    rollingDays: t.int({
      description: `Interval DAY only: each point counts the trailing N local days ending with its day (weekly active = 7), 1-${AGGREGATION_LIMITS.maxRollingDays}.`,
    }),
  }),
});

const AggregationPointRef = builder.objectRef<AggregationPoint>('AggregationPoint').implement({
  fields: (t) => ({
    bucket: t.expose('bucket', { type: 'DateTime', description: 'Start of the bucket.' }),
    value: t.exposeFloat('value', { description: 'A count (Float, so it never overflows 32 bits).' }),
  }),
});

const AggregationSeriesRef = builder.objectRef<AggregationSeries>('AggregationSeries').implement({
  fields: (t) => ({
    key: t.exposeString('key', {
      nullable: true,
      description: 'Group id, group type, property value or event name; null for events without one.',
    }),
    label: t.exposeString('label', { description: 'For people: the group name when known.' }),
    total: t.exposeFloat('total', {
      description: 'The metric over the whole range (distinct over the range for unique metrics, not a sum of points).',
    }),
    points: t.field({
      type: [AggregationPointRef],
      resolve: (series) => series.points,
      description: 'Every bucket, zeros included.',
    }),
  }),
});

interface EventAggregation {
  input: AggregationInput;
  result: AggregationResult;
}

const EventAggregationRef = builder.objectRef<EventAggregation>('EventAggregation').implement({
  ...READ_SCOPES,
  fields: (t) => ({
    series: t.field({
      type: [AggregationSeriesRef],
      description: 'The top series by total, largest first.',
      resolve: (parent) => parent.result.series,
    }),
    buckets: t.field({ type: ['DateTime'], description: 'Bucket starts.', resolve: (parent) => parent.result.buckets }),
    total: t.float({
      description: 'The metric over the whole range without breakdown: an event with two groups counts once.',
      resolve: (parent, _args, ctx) => ctx.services.aggregation.total(ctx.projectId, parent.input),
    }),
  }),
});

builder.queryField('eventAggregation', (t) =>
  t.field({
    type: EventAggregationRef,
    description:
      'Events, unique profiles or unique groups over time, optionally broken down by group, group type, group property or event name.',
    args: { input: t.arg({ type: EventAggregationInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      input,
      result: await ctx.services.aggregation.aggregate(ctx.projectId, input),
    }),
  }),
);
