import { lexicographicSortSchema, printSchema } from 'graphql';

import { builder } from './builder.ts';
import './types/EventFilter.ts';
import './types/Group.ts';
import './types/Profile.ts';
import './types/Event.ts';
import './types/EventAggregation.ts';
import './types/GroupOverview.ts';
import './types/Funnel.ts';
import './types/Retention.ts';
import './types/Lifecycle.ts';
import './types/Stickiness.ts';
import './types/Cohort.ts';
import './mutations/upsertGroup.ts';
import './mutations/updateGroup.ts';
import './mutations/deleteGroup.ts';
import './mutations/identify.ts';
import './mutations/setGroups.ts';
import './mutations/setGroup.ts';
import './mutations/removeGroups.ts';
import './mutations/track.ts';
import './mutations/trackBatch.ts';
import './mutations/createCohort.ts';
import './mutations/updateCohort.ts';
import './mutations/deleteCohort.ts';
import './subscriptions/events.ts';

export const schema = builder.toSchema();

/** The committed schema artifact: printed sorted so diffs show real changes only. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
