import { ANALYSIS_UNITS, RETENTION_INTERVALS, type AnalysisUnit } from '../../services/analysis/accounts/input.ts';
import { decodeCursor, encodeCursor, pageSize, toPage, type PageArgs } from '../../services/pagination.ts';
import { builder } from '../builder.ts';
import { GroupRef } from './Group.ts';
import { ProfileRef } from './Profile.ts';

// What the account-level analyses count (a profile, or a group of one type)
// and the pieces the four of them share.

export const AnalysisUnitRef = builder.enumType('AnalysisUnit', {
  values: ANALYSIS_UNITS,
  description:
    "PROFILE: the event's profile (events without one never count). GROUP: each of the event's groups whose current type is `groupType` (required then); an event with two such groups counts for both, placeholders without a type never.",
});

/** The `cohortId` field the four analysis inputs share. */
export const ANALYSIS_COHORT_ID_DESCRIPTION =
  'Only units in this cohort, evaluated when the query runs: a cohort of groups of `groupType` for unit GROUP, a cohort of profiles for unit PROFILE (another unit or group type, or an id that is no cohort of this project: VALIDATION_FAILED). It keeps units, not events (unlike `filter.cohortId`): an event tagged with a member group and a non-member group counts for the member only.';

export const RetentionIntervalRef = builder.enumType('RetentionInterval', {
  values: RETENTION_INTERVALS,
  description:
    'Local days, weeks (starting on Monday) or months of `timezone`. The buckets are those whose start lies in [from, to); each covers its whole length, even past `to`.',
});

export interface UnitSource {
  id: string;
  unit: AnalysisUnit;
}

export const UnitRef = builder.objectRef<UnitSource>('Unit').implement({
  description: 'A group or a profile, by the analysis unit.',
  fields: (t) => ({
    id: t.exposeID('id'),
    group: t.field({
      type: GroupRef,
      nullable: true,
      description: 'The group, when the unit is GROUP.',
      resolve: (unit, _args, ctx) => (unit.unit === 'GROUP' ? ctx.loaders.group.load(unit.id) : null),
    }),
    profile: t.field({
      type: ProfileRef,
      nullable: true,
      description: 'The profile, when the unit is PROFILE (null if it was never stored as a profile).',
      resolve: (unit, _args, ctx) => (unit.unit === 'PROFILE' ? ctx.loaders.profile.load(unit.id) : null),
    }),
  }),
});

/**
 * A forward page over a list the analysis already holds: cursors are positions.
 * The nodes' groups or profiles load through the request's DataLoaders, so a page
 * costs one statement whatever its size.
 */
export function pageOfUnits(ids: readonly string[], unit: AnalysisUnit, args: PageArgs) {
  const size = pageSize(args);
  const start = args.after ? Number(decodeCursor(args.after, ['number'])[0]) + 1 : 0;
  const rows = ids.slice(start, start + size + 1).map((id, i) => ({ id, unit, position: start + i }));
  const page = toPage(rows, size, (row) => encodeCursor([row.position]), args.after != null);
  return page;
}
