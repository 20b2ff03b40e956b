import type { FunnelAnswer, FunnelStepAnswer } from '../../services/analysis/accounts/funnel.ts';
import { ANALYSIS_LIMITS, FUNNEL_BREAKDOWNS, type AnalysisUnit } from '../../services/analysis/accounts/input.ts';
import { builder, READ_SCOPES } from '../builder.ts';
import { ANALYSIS_COHORT_ID_DESCRIPTION, AnalysisUnitRef, pageOfUnits, UnitRef } from './AnalysisUnit.ts';
import { EventFilterRef, PropertyFilterRef } from './EventFilter.ts';

const FunnelBreakdownRef = builder.enumType('FunnelBreakdown', {
  values: FUNNEL_BREAKDOWNS,
  description:
    "GROUP_PROPERTY (unit GROUP): by the unit group's current property; EVENT_PROPERTY: by that property of the step-1 event of the unit's chain. Values are stringified as in eventAggregation.",
});

const FunnelStepInputRef = builder.inputType('FunnelStepInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'The event name of this step.' }),
    properties: t.field({
      type: [PropertyFilterRef],
      description: "Filters on the event's properties: all must hold.",
    }),
  }),
});

const FunnelInputRef = builder.inputType('FunnelInput', {
  fields: (t) => ({
    steps: t.field({
      type: [FunnelStepInputRef],
      required: true,
      description: `${ANALYSIS_LIMITS.minSteps} to ${ANALYSIS_LIMITS.maxSteps} steps; a name may repeat (each step then needs its own event).`,
    }),
    unit: t.field({ type: AnalysisUnitRef, defaultValue: 'PROFILE' }),
    groupType: t.string({ description: 'Required with unit GROUP, e.g. "company".' }),
    from: t.field({
      type: 'DateTime',
      required: true,
      description: `Step-1 events at or after this instant; at most ${ANALYSIS_LIMITS.maxFunnelRangeDays} days before \`to\`.`,
    }),
    to: t.field({
      type: 'DateTime',
      required: true,
      description: 'Step-1 events before this instant; later steps may fall after it, within the window.',
    }),
    windowSeconds: t.int({
      defaultValue: ANALYSIS_LIMITS.defaultWindowSeconds,
      description: 'Time from step 1 within which every later step must happen (inclusive); default 14 days.',
    }),
    filter: t.field({
      type: EventFilterRef,
      description: 'Restricts every event the funnel looks at; its from, to and eventNames are refused.',
    }),
    cohortId: t.id({ description: ANALYSIS_COHORT_ID_DESCRIPTION }),
    breakdown: t.field({ type: FunnelBreakdownRef }),
    breakdownProperty: t.string({ description: 'The property of the breakdown.' }),
    limit: t.int({
      defaultValue: ANALYSIS_LIMITS.defaultSeries,
      description: `The top breakdown values by step-1 count (1-${ANALYSIS_LIMITS.maxSeries}); ties by value, absent last.`,
    }),
  }),
});

interface FunnelStepSource {
  step: FunnelStepAnswer;
  unit: AnalysisUnit;
}

const FunnelStepRef = builder.objectRef<FunnelStepSource>('FunnelStep').implement({
  description:
    "One step of a funnel, with ClickHouse windowFunnel semantics (PostHog's): a unit's level is the most steps it completed in order within the window from one of its step-1 events in range; equal timestamps may serve consecutive steps.",
  fields: (t) => ({
    index: t.int({ description: 'From 0 (as PostHog numbers steps).', resolve: (s) => s.step.index }),
    name: t.string({ resolve: (s) => s.step.name }),
    count: t.int({ description: 'Units whose level reaches this step.', resolve: (s) => s.step.count }),
    conversionFromStart: t.float({
      description: 'count / count of step 1 (step 1: 1; 0 when no unit started).',
      resolve: (s) => s.step.conversionFromStart,
    }),
    conversionFromPrevious: t.float({
      description: 'count / count of the previous step (step 1: 1; 0 when that is 0).',
      resolve: (s) => s.step.conversionFromPrevious,
    }),
    dropOff: t.int({
      description: 'count − count of the next step (last step: 0).',
      resolve: (s) => s.step.dropOff,
    }),
    medianSecondsFromPrevious: t.float({
      nullable: true,
      description:
        "Median time from the previous step over units reaching this one, measured on each unit's chain: greedy earliest matches from its earliest step-1 event reaching its level. Even counts take the mean of the middle two; null for step 1 or no unit.",
      resolve: (s) => s.step.medianSecondsFromPrevious,
    }),
    units: t.connection(
      {
        type: UnitRef,
        description:
          'Units that reached this step, or with dropped: true those that stopped here (none for the last step); ids in bytewise order.',
        args: { dropped: t.arg.boolean({ defaultValue: false }) },
        resolve: (s, args) => pageOfUnits(s.step.units(args.dropped ?? false), s.unit, args),
      },
      { name: 'UnitConnection' },
      { name: 'UnitEdge' },
    ),
  }),
});

const FunnelBreakdownSeriesRef = builder
  .objectRef<{ value: string | null; steps: FunnelStepSource[] }>('FunnelBreakdownSeries')
  .implement({
    fields: (t) => ({
      value: t.exposeString('value', { nullable: true, description: 'null: the property is absent.' }),
      steps: t.field({ type: [FunnelStepRef], resolve: (s) => s.steps }),
    }),
  });

interface FunnelSource {
  answer: FunnelAnswer;
  unit: AnalysisUnit;
}

const FunnelRef = builder.objectRef<FunnelSource>('Funnel').implement({
  ...READ_SCOPES,
  fields: (t) => ({
    steps: t.field({
      type: [FunnelStepRef],
      resolve: (f) => f.answer.steps.map((step) => ({ step, unit: f.unit })),
    }),
    breakdowns: t.field({
      type: [FunnelBreakdownSeriesRef],
      description: 'Empty without breakdown; by step-1 count descending, then value, absent last.',
      resolve: (f) =>
        f.answer.breakdowns.map((b) => ({ value: b.value, steps: b.steps.map((step) => ({ step, unit: f.unit })) })),
    }),
  }),
});

builder.queryField('funnel', (t) =>
  t.field({
    type: FunnelRef,
    description: 'How many profiles or groups (e.g. companies) go through the steps in order within the window.',
    args: { input: t.arg({ type: FunnelInputRef, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      answer: await ctx.services.accounts.funnel(ctx.projectId, input),
      unit: input.unit ?? 'PROFILE',
    }),
  }),
);
