import type { StickinessAnswer } from '../../services/analysis/accounts/bucketed.ts';
import { ANALYSIS_LIMITS } from '../../services/analysis/accounts/input.ts';
import { builder, READ_SCOPES } from '../builder.ts';
import { ANALYSIS_COHORT_ID_DESCRIPTION, AnalysisUnitRef, RetentionIntervalRef } from './AnalysisUnit.ts';
import { EventFilterRef } from './EventFilter.ts';

const StickinessInputRef = builder.inputType('StickinessInput', {
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
    interval: t.field({ type: RetentionIntervalRef, defaultValue: 'DAY' }),
    timezone: t.string({ defaultValue: 'UTC', description: 'IANA time zone of the buckets.' }),
    filter: t.field({ type: EventFilterRef, description: 'Restricts every event looked at; from and to are refused.' }),
    cohortId: t.id({ description: ANALYSIS_COHORT_ID_DESCRIPTION }),
  }),
});

const StickinessRef = builder.objectRef<StickinessAnswer>('Stickiness').implement({
  ...READ_SCOPES,
  fields: (t) => ({
    intervals: t.exposeInt('intervals', { description: 'Buckets starting in [from, to).' }),
    counts: t.exposeIntList('counts', {
      description: 'counts[i]: units active in exactly i + 1 buckets (units never active are not counted).',
    }),
  }),
});

builder.queryField('stickiness', (t) =>
  t.field({
    type: StickinessRef,
    description: 'How many intervals (e.g. days of a month) profiles or groups are active in.',
    args: { input: t.arg({ type: StickinessInputRef, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.accounts.stickiness(ctx.projectId, input),
  }),
);
