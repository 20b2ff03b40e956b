import type { RetentionAnswer } from '../../services/analysis/accounts/bucketed.ts';
import { ANALYSIS_LIMITS, RETENTION_COHORT_TYPES, RETENTION_CRITERIA } from '../../services/analysis/accounts/input.ts';
import { builder, READ_SCOPES } from '../builder.ts';
import { ANALYSIS_COHORT_ID_DESCRIPTION, AnalysisUnitRef, RetentionIntervalRef } from './AnalysisUnit.ts';
import { EventFilterRef } from './EventFilter.ts';

const RetentionCohortTypeRef = builder.enumType('RetentionCohortType', {
  values: RETENTION_COHORT_TYPES,
  description:
    "FIRST_TIME: a unit's cohort is the bucket of its first-ever start event, kept when that event is in [from, to). RECURRING: a unit joins every bucket's cohort in which it did the start event.",
});

const RetentionCriteriaRef = builder.enumType('RetentionCriteria', {
  values: RETENTION_CRITERIA,
  description: 'ON: returned in exactly period k. ON_OR_AFTER: returned in period k or any later time up to now.',
});

const RetentionInputRef = builder.inputType('RetentionInput', {
  fields: (t) => ({
    unit: t.field({ type: AnalysisUnitRef, defaultValue: 'PROFILE' }),
    groupType: t.string({ description: 'Required with unit GROUP, e.g. "company".' }),
    startEvent: t.string({ description: 'The event that puts a unit in a cohort; null: any event.' }),
    returnEvent: t.string({ description: 'The event that counts as coming back; null: any event.' }),
    from: t.field({ type: 'DateTime', required: true }),
    to: t.field({
      type: 'DateTime',
      required: true,
      description: `Cohorts are the buckets starting in [from, to); at most ${ANALYSIS_LIMITS.maxRangeDays} days.`,
    }),
    interval: t.field({ type: RetentionIntervalRef, defaultValue: 'WEEK' }),
    periods: t.int({
      defaultValue: ANALYSIS_LIMITS.defaultPeriods,
      description: `Periods after the cohort's own (${ANALYSIS_LIMITS.minPeriods}-${ANALYSIS_LIMITS.maxPeriods}).`,
    }),
    timezone: t.string({ defaultValue: 'UTC', description: 'IANA time zone of the buckets.' }),
    cohortType: t.field({ type: RetentionCohortTypeRef, defaultValue: 'FIRST_TIME' }),
    criteria: t.field({ type: RetentionCriteriaRef, defaultValue: 'ON' }),
    filter: t.field({
      type: EventFilterRef,
      description: 'Restricts every event looked at (start and return); its from and to are refused.',
    }),
    cohortId: t.id({ description: ANALYSIS_COHORT_ID_DESCRIPTION }),
  }),
});

type Cohort = RetentionAnswer['cohorts'][number];

const RetentionCohortRef = builder.objectRef<Cohort>('RetentionCohort').implement({
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime', description: 'Start of the cohort bucket.' }),
    size: t.exposeInt('size'),
    values: t.exposeIntList('values', {
      description: 'periods + 1 entries: values[0] is the size, values[k] the units back in period k.',
    }),
    fractions: t.exposeFloatList('fractions', { description: 'values[k] / size (0 for an empty cohort).' }),
    complete: t.exposeBooleanList('complete', { description: 'Whether bucket (cohort + k) has ended.' }),
  }),
});

const RetentionRef = builder.objectRef<RetentionAnswer>('Retention').implement({
  ...READ_SCOPES,
  fields: (t) => ({
    cohorts: t.field({
      type: [RetentionCohortRef],
      description: 'One per bucket starting in [from, to), empty ones included, oldest first.',
      resolve: (r) => r.cohorts,
    }),
    average: t.field({
      type: ['Float'],
      nullable: { list: false, items: true },
      description:
        'average[k] = Σ values[k] / Σ size over cohorts with complete[k] and size > 0; null when there are none.',
      resolve: (r) => r.average,
    }),
  }),
});

builder.queryField('retention', (t) =>
  t.field({
    type: RetentionRef,
    description: 'Do profiles or groups come back period after period?',
    args: { input: t.arg({ type: RetentionInputRef, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accounts.retention(ctx.projectId, input),
  }),
);
