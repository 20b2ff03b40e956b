import type { AggregationPoint, AggregationResult, AggregationSeries } from '../../services/analysis/assemble.ts';
import {
  AGGREGATION_BREAKDOWNS,
  AGGREGATION_COMPARISONS,
  AGGREGATION_INTERVALS,
  AGGREGATION_LIMITS,
  AGGREGATION_METRICS,
  PROPERTIES_AT,
  SERIES_ORDERS,
  type AggregationInput,
} from '../../services/analysis/question.ts';
import { builder, READ_SCOPES } from '../builder.ts';
import { EventFilterRef } from './EventFilter.ts';
import { OrderDirectionRef } from './OrderDirection.ts';

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
    "GROUP: a series per group (an event with two groups counts in both); GROUP_TYPE / GROUP_PROPERTY: a series per type / value of the event's groups; EVENT_NAME: a series per event name; PROFILE: a series per profile (anonymous events: key null); EVENT_PROPERTY: a series per value of the event property breakdownProperty (absent: key null). Events their groups give no key land in the series with key null.",
});

export const AggregationSeriesOrderRef = builder.enumType('AggregationSeriesOrder', {
  values: SERIES_ORDERS,
  description:
    'TOTAL: by the series total; CHANGE_PERCENT (needs compareTo): by the change against the previous period, series without a previous total last.',
});

export const AggregationComparisonRef = builder.enumType('AggregationComparison', {
  values: AGGREGATION_COMPARISONS,
  description: 'PREVIOUS_PERIOD: the equal-length period just before `from`.',
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
    breakdownProperty: t.string({
      description: 'The group property of breakdown GROUP_PROPERTY, the event property of breakdown EVENT_PROPERTY.',
    }),
    filter: t.field({ type: EventFilterRef }),
    limit: t.int({
      defaultValue: AGGREGATION_LIMITS.defaultSeries,
      description: `How many series to return, in the order of orderBy and order (1-${AGGREGATION_LIMITS.maxSeries}).`,
    }),
    offset: t.int({
      defaultValue: 0,
      description: `Series to skip before the returned ones, for paging (0-${AGGREGATION_LIMITS.maxOffset}); seriesCount says how many there are.`,
    }),
    order: t.field({ type: OrderDirectionRef, defaultValue: 'DESC', description: 'Direction of the series order.' }),
    orderBy: t.field({ type: AggregationSeriesOrderRef, defaultValue: 'TOTAL' }),
    compareTo: t.field({
      type: AggregationComparisonRef,
      description:
        'Gives each series previousTotal and changePercent; with it, series active only in the previous period are listed too (total 0). Not with rollingDays.',
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
    previousTotal: t.exposeFloat('previousTotal', {
      nullable: true,
      description: 'With compareTo: the metric over the equal-length period just before `from`; null otherwise.',
    }),
    changePercent: t.exposeFloat('changePercent', {
      nullable: true,
      description:
        'With compareTo: (total - previousTotal) * 100 / previousTotal; null without compareTo or when previousTotal is 0.',
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
      description: 'The page (offset, limit) of the series in the asked order; by default the top series by total.',
      resolve: (parent) => parent.result.series,
    }),
    seriesCount: t.int({
      description: 'How many series there are before offset and limit (1 without breakdown).',
      resolve: (parent) => parent.result.seriesCount,
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
      'Events, unique profiles or unique groups over time, optionally broken down by group, group type, group property, event name, profile or event property, and compared with the previous period.',
    args: { input: t.arg({ type: EventAggregationInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      input,
      result: await ctx.services.aggregation.aggregate(ctx.projectId, input),
    }),
  }),
);
