import type { CohortMember } from '../../services/cohorts/service.ts';
import { builder, READ_SCOPES } from '../builder.ts';
import { GroupRef } from './Group.ts';
import { ProfileRef } from './Profile.ts';

// The unit an account-level question counts: a group (of one type) or a profile.

export const AnalysisUnitRef = builder.enumType('AnalysisUnit', {
  values: ['PROFILE', 'GROUP'] as const,
  description: 'What is counted: profiles, or groups of one type.',
});

export const UnitRef = builder.objectRef<CohortMember>('Unit').implement({
  ...READ_SCOPES,
  description: 'A group or a profile, by the unit of the question; the other field is null.',
  fields: (t) => ({
    id: t.exposeID('id'),
    group: t.field({
      type: GroupRef,
      nullable: true,
      resolve: (unit, _args, ctx) => (unit.unit === 'GROUP' ? ctx.loaders.group.load(unit.id) : null),
    }),
    profile: t.field({
      type: ProfileRef,
      nullable: true,
      resolve: (unit, _args, ctx) => (unit.unit === 'PROFILE' ? ctx.loaders.profile.load(unit.id) : null),
    }),
  }),
});
