import { hasGroupConditions, hasPropertyFilters, type EventFilter } from '../filter.ts';

/**
 * Where an analysis reads a unit's activity from.
 * - ACTIVITY: the per-day rows the ingest statement keeps per group and per
 *   profile, whose hour bits say in which UTC hours the unit was active. Exact
 *   whenever every instant the answer depends on is a whole UTC hour (every
 *   local midnight of whole-hour zones, DST included) and the question is about
 *   any event, unfiltered: those rows know neither names nor properties.
 * - EVENTS: the events themselves (the name index covers named questions).
 */
export type ActivitySource = 'ACTIVITY' | 'EVENTS';

export interface SourceQuestion {
  filter: EventFilter;
  /** Whether some event name restricts what counts (start/return event, eventNames). */
  named: boolean;
  /** Whether every bucket bound (and any instant tested against, such as from/to) is a whole UTC hour. */
  wholeHours: boolean;
}

export function isEmptyFilter(filter: EventFilter): boolean {
  return (
    !filter.eventNames?.length &&
    filter.profileId == null &&
    !filter.groupIds?.length &&
    // A cohort of events' units (groups or profiles), which the activity rows cannot tell apart.
    filter.cohortId == null &&
    !hasGroupConditions(filter) &&
    !hasPropertyFilters(filter) &&
    filter.from == null &&
    filter.to == null
  );
}

export function chooseSource(q: SourceQuestion): ActivitySource {
  return !q.named && q.wholeHours && isEmptyFilter(q.filter) ? 'ACTIVITY' : 'EVENTS';
}
