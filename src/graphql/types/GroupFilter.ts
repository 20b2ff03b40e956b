import { GROUP_ORDER_FIELDS } from '../../services/groupList.ts';
import { builder } from '../builder.ts';
import { PropertyFilterRef } from './EventFilter.ts';
import { IntRangeInputRef } from './IntRange.ts';
import { OrderDirectionRef } from './OrderDirection.ts';

// The arguments of the `groups` list that choose and order groups.

export const GroupFilterRef = builder.inputType('GroupFilter', {
  description: 'Which groups: every part given must hold.',
  fields: (t) => ({
    properties: t.field({ type: [PropertyFilterRef], description: "On the group's properties." }),
    lastActiveBefore: t.field({
      type: 'DateTime',
      description: 'Latest tagged event before this instant (exclusive); groups without events do not match.',
    }),
    lastActiveAfter: t.field({ type: 'DateTime', description: 'Latest tagged event at or after this instant.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Exclusive.' }),
    createdAfter: t.field({ type: 'DateTime', description: 'Inclusive.' }),
    memberCount: t.field({ type: IntRangeInputRef, description: 'Current members, inclusive.' }),
    placeholder: t.boolean({
      description: 'true: only placeholders (no type and no name yet); false: no placeholders.',
    }),
  }),
});

export const GroupOrderFieldRef = builder.enumType('GroupOrderField', { values: GROUP_ORDER_FIELDS });

export const GroupOrderRef = builder.inputType('GroupOrder', {
  description: 'Groups without a value (no name, never active) come last in either direction; ties go by id.',
  fields: (t) => ({
    field: t.field({ type: GroupOrderFieldRef, required: true }),
    direction: t.field({ type: OrderDirectionRef, defaultValue: 'DESC' }),
  }),
});
