/**
 * A plain in-memory reference of cohort membership: which groups (of the
 * cohort's type) or profiles satisfy a cohort's rules at an instant `now`.
 * Shared by the cohort tests and the analyses' randomized test (`cohortId`).
 */
import type { CohortInput, CohortRuleInput } from '../../src/services/cohorts/definition.ts';
import { DAY_MS } from '../../src/time.ts';
import { compareText, propertyMatches } from './analysis.ts';

export interface CohortUnit {
  id: string;
  /** A group's current type (null: a placeholder); unused for profiles. */
  type: string | null;
  properties: Record<string, unknown>;
}

export interface CohortEvent {
  name: string;
  profileId: string | null;
  groupIds: readonly string[];
  properties: Record<string, unknown>;
  /** Milliseconds. */
  createdAt: number;
}

export interface CohortData {
  /** Existing groups (deleted ones absent). */
  groups: readonly CohortUnit[];
  /** Existing profiles. */
  profiles: readonly CohortUnit[];
  events: readonly CohortEvent[];
  /** Current members per group id (absent: none). */
  members: ReadonlyMap<string, number>;
  /** The instant `lastDays` windows end at (events after it count too: the window has no upper end). */
  now: number;
}

/** The member ids in byte order. */
export function cohortMembers(data: CohortData, c: CohortInput): string[] {
  const universe = c.unit === 'GROUP' ? data.groups.filter((g) => g.type === c.groupType) : data.profiles;
  const holds = (u: CohortUnit, rule: CohortRuleInput): boolean => {
    let result: boolean;
    if (rule.property) result = propertyMatches(u.properties, rule.property);
    else if (rule.memberCount) {
      const n = data.members.get(u.id) ?? 0;
      result =
        (rule.memberCount.min == null || n >= rule.memberCount.min) &&
        (rule.memberCount.max == null || n <= rule.memberCount.max);
    } else {
      const p = rule.performed!;
      const since = data.now - p.lastDays * DAY_MS;
      const n = data.events.filter(
        (e) =>
          e.name === p.eventName &&
          e.createdAt >= since &&
          (c.unit === 'GROUP' ? e.groupIds.includes(u.id) : e.profileId === u.id) &&
          (p.properties ?? []).every((f) => propertyMatches(e.properties, f)),
      ).length;
      result = n >= (p.minCount ?? 1) && (p.maxCount == null || n <= p.maxCount);
    }
    return rule.negate ? !result : result;
  };
  return universe
    .filter((u) => (c.match === 'ANY' ? c.rules.some((r) => holds(u, r)) : c.rules.every((r) => holds(u, r))))
    .map((u) => u.id)
    .sort(compareText);
}
