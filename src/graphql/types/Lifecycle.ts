import type { LifecycleAnswer } from '../../services/analysis/accounts/bucketed.ts';
import { ANALYSIS_LIMITS } from '../../services/analysis/accounts/input.ts';
import { builder, READ_SCOPES } from '../builder.ts';
import { ANALYSIS_COHORT_ID_DESCRIPTION, AnalysisUnitRef, RetentionIntervalRef } from './AnalysisUnit.ts';
import { EventFilterRef } from './EventFilter.ts';

const LifecycleInputRef = builder.inputType('LifecycleInput', {
  fields: (t) => ({
    unit: t.field({ type: AnalysisUnitRef, defaultValue: 'PROFILE' }),
    groupType: t.string({ description: 'Required with unit GROUP, e.g. "company".' }),
    eventNames: t.stringList({ description: 'What counts as activity; null or empty: any event.' }),
    from: t.field({ type: 'DateTime', required: true }),
    to: t.field({
      type: 'DateTime',
      required: true,
      description: `The buckets starting in [from, to); at most ${ANALYSIS_LIMITS.maxRangeDays} days.`,
    }),
    interval: t.field({ type: RetentionIntervalRef, defaultValue: 'WEEK' }),
    timezone: t.string({ defaultValue: 'UTC', description: 'IANA time zone of the buckets.' }),
    filter: t.field({ type: EventFilterRef, description: 'Restricts every event looked at; from and to are refused.' }),
    cohortId: t.id({ description: ANALYSIS_COHORT_ID_DESCRIPTION }),
  }),
});

const LifecycleBucketRef = builder.objectRef<LifecycleAnswer['buckets'][number]>('LifecycleBucket').implement({
  fields: (t) => ({
    bucket: t.expose('bucket', { type: 'DateTime', description: 'Start of the bucket.' }),
    new: t.exposeInt('new', { description: 'Active here, with its first-ever matching event in this bucket.' }),
    returning: t.exposeInt('returning', { description: 'Active here and in the bucket before.' }),
    resurrecting: t.exposeInt('resurrecting', {
      description: 'Active here, not in the bucket before, but some time earlier.',
    }),
    dormant: t.exposeInt('dormant', {
      description: 'Active in the bucket before, not here (a positive count; negate it for charts).',
    }),
  }),
});

const LifecycleRef = builder.objectRef<LifecycleAnswer>('Lifecycle').implement({
  ...READ_SCOPES,
  fields: (t) => ({
    buckets: t.field({ type: [LifecycleBucketRef], resolve: (l) => l.buckets }),
  }),
});

builder.queryField('lifecycle', (t) =>
  t.field({
    type: LifecycleRef,
    description: 'How many profiles or groups are new, returning, resurrecting or going dormant in each bucket.',
    args: { input: t.arg({ type: LifecycleInputRef, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accounts.lifecycle(ctx.projectId, input),
  }),
);
