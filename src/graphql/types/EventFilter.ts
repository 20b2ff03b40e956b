import { FILTER_OPS } from '../../services/analysis/filter.ts';
import { builder } from '../builder.ts';

export const FilterOpRef = builder.enumType('FilterOp', {
  values: FILTER_OPS,
  description:
    'EQ/NEQ compare JSON values; GT/GTE/LT/LTE compare numbers or strings; CONTAINS matches a substring (case-insensitive) or an array element; IN takes a list; EXISTS takes true (default) or false.',
});

export const PropertyFilterRef = builder.inputType('PropertyFilter', {
  fields: (t) => ({
    key: t.string({ required: true, description: 'A top-level property key.' }),
    op: t.field({ type: FilterOpRef, required: true }),
    value: t.field({ type: 'JSON' }),
  }),
});

export const EventFilterRef = builder.inputType('EventFilter', {
  description: 'Which events: every part given must hold.',
  fields: (t) => ({
    eventNames: t.stringList(),
    profileId: t.id(),
    groupIds: t.idList({ description: 'Events tagged with any of these groups.' }),
    groupType: t.string({ description: 'Events tagged with a group of this type.' }),
    from: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    to: t.field({ type: 'DateTime', description: 'Exclusive.' }),
    properties: t.field({ type: [PropertyFilterRef], description: 'On event properties.' }),
    groupProperties: t.field({
      type: [PropertyFilterRef],
      description:
        "On the properties of the event's groups: some group of the event matches all of them (and groupType, if given).",
    }),
    cohortId: t.id({
      description:
        "Events of the cohort's members: for a cohort of groups, events tagged with a member group (that also matches groupType and groupProperties, if given); for a cohort of profiles, events of member profiles.",
    }),
  }),
});
