/**
 * Random worlds and questions for comparing analysis implementations with the
 * reference: equal timestamps (bursts of events of one unit at one instant),
 * events with several groups, without a group or without a profile,
 * placeholder and deleted groups, three DST changes, and a `now` that is
 * sometimes inside the data (incomplete periods).
 */
import type { EventFilter, PropertyFilter } from '../../src/services/analysis/filter.ts';
import type { CohortInput, CohortRuleInput } from '../../src/services/cohorts/definition.ts';
import {
  bucketOf,
  midnight,
  type FunnelQuery,
  type Interval,
  type LifecycleQuery,
  type RefEvent,
  type RefGroup,
  type RetentionQuery,
  type World,
} from './analysis.ts';

import { pick, seededRandom, type Random } from '../../src/cli/demo/random.ts';

export type Rng = Random;
/** The project's one seeded generator (mulberry32). */
export const random = seededRandom;
export { pick };
export const chance = (rng: Rng, p: number): boolean => rng() < p;
const some = <T>(rng: Rng, list: readonly T[], max: number): T[] => {
  const n = 1 + Math.floor(rng() * max);
  return [...new Set(Array.from({ length: n }, () => pick(rng, list)))];
};

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const NAMES = ['signup', 'invite_sent', 'report_exported', 'page_view', 'login'] as const;
export const GROUP_TYPES = ['company', 'team'] as const;
export const TIMEZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
/** A Monday; the 60 days after it hold the US (8 March), EU (29 March) and Lord Howe (5 April) DST changes. */
export const WORLD_START = Date.parse('2026-02-23T00:00:00Z');
export const WORLD_DAYS = 60;

export interface WorldShape {
  events?: number;
  /** Groups g0…g(n−1): most typed, two placeholders; two more ids are named by events but deleted. */
  groups?: number;
  /** Profiles u0…: each active from a join to a leave, some with a pause. */
  profiles?: number;
}

export function randomWorld(rng: Rng, shape: WorldShape = {}): World {
  const groupCount = shape.groups ?? 12;
  const groups = new Map<string, RefGroup>();
  const groupIds = Array.from({ length: groupCount + 2 }, (_, i) => `g${i}`);
  groupIds.slice(0, groupCount).forEach((id, i) => {
    const placeholder = i >= groupCount - 2;
    const properties: Record<string, unknown> = {};
    if (!placeholder) {
      properties.seats = Math.floor(rng() * 4) * 5;
      if (chance(rng, 0.8)) properties.plan = pick(rng, ['free', 'pro', 'enterprise']);
    }
    groups.set(id, { type: placeholder ? null : pick(rng, [...GROUP_TYPES, 'company']), properties });
  });
  // Sometimes "now" falls inside the data: the latest periods are incomplete.
  const now = WORLD_START + (chance(rng, 0.5) ? 30 + rng() * 30 : WORLD_DAYS + 2) * DAY;
  const end = Math.min(now + HOUR, WORLD_START + WORLD_DAYS * DAY);
  const span = (from: number, to: number) => ({ from: Math.max(WORLD_START, from), to: Math.min(end, to) });
  // Profiles join and leave (some pause and come back), so cohorts, churn and resurrection happen.
  const profiles = Array.from({ length: shape.profiles ?? 60 }, (_, i) => {
    const joined = WORLD_START + (rng() * 70 - 10) * DAY;
    const left = joined + (5 + rng() * 55) * DAY;
    const pause = chance(rng, 0.3) ? joined + rng() * (left - joined) : null;
    const lives = pause
      ? [span(joined, pause), span(pause + (7 + rng() * 10) * DAY, left + 10 * DAY)]
      : [span(joined, left)];
    return { id: `u${i}`, lives: lives.filter((l) => l.from < l.to), home: some(rng, groupIds, 2) };
  });
  const active = profiles.filter((p) => p.lives.length > 0);
  const randomTime = (from = WORLD_START, to = end) => {
    const t = from + Math.floor(rng() * (to - from));
    // A third on a whole half hour: bucket edges in every test zone.
    return chance(rng, 0.33) ? Math.max(from, t - (t % (30 * 60_000))) : t;
  };
  const events: RefEvent[] = [];
  for (let i = 0; i < (shape.events ?? 3000); i++) {
    const previous = events.at(-1);
    const properties: Record<string, unknown> = {
      n: Math.floor(rng() * 10),
      kind: pick(rng, ['alpha', 'beta', 'Gamma']),
    };
    if (chance(rng, 0.4)) properties.tags = some(rng, ['x', 'y', 'z'], 2);
    if (chance(rng, 0.3)) properties.plan = pick(rng, ['free', 'pro']);
    if (chance(rng, 0.1)) properties.flag = chance(rng, 0.5);
    const event = {
      id: `e${String(i).padStart(5, '0')}${pick(rng, ['', 'a', 'b'])}`,
      name: pick(rng, NAMES),
      properties,
    };
    if (previous && chance(rng, 0.25)) {
      // A burst: the same unit(s) at the same instant.
      events.push({
        ...event,
        profileId: previous.profileId,
        groupIds: previous.groupIds,
        createdAt: previous.createdAt,
      });
    } else if (chance(rng, 0.1) || active.length === 0) {
      events.push({
        ...event,
        profileId: null,
        groupIds: chance(rng, 0.2) ? [] : some(rng, groupIds, 3),
        createdAt: new Date(chance(rng, 0.1) && previous ? pick(rng, events).createdAt.getTime() : randomTime()),
      });
    } else {
      const p = pick(rng, active);
      const life = pick(rng, p.lives);
      const groupIdsOf = chance(rng, 0.75) ? p.home : chance(rng, 0.5) ? [] : some(rng, groupIds, 3);
      events.push({
        ...event,
        profileId: p.id,
        groupIds: groupIdsOf,
        createdAt: new Date(randomTime(life.from, life.to)),
      });
    }
  }
  return { events, groups, now: new Date(now) };
}

// ---------------------------------------------------------------- questions

const STEP_FILTERS: PropertyFilter[] = [
  { key: 'n', op: 'GT', value: 3 },
  { key: 'n', op: 'LTE', value: 6 },
  { key: 'kind', op: 'EQ', value: 'beta' },
  { key: 'kind', op: 'CONTAINS', value: 'AM' },
  { key: 'tags', op: 'CONTAINS', value: 'x' },
  { key: 'plan', op: 'IN', value: ['pro', 'enterprise'] },
  { key: 'tags', op: 'EXISTS', value: false },
  { key: 'kind', op: 'NEQ', value: 'alpha' },
];

const GROUP_FILTERS: PropertyFilter[] = [
  { key: 'plan', op: 'EQ', value: 'pro' },
  { key: 'plan', op: 'IN', value: ['free', 'enterprise'] },
  { key: 'seats', op: 'GTE', value: 10 },
  { key: 'plan', op: 'EXISTS', value: false },
];

export function randomFilter(rng: Rng, names: boolean): EventFilter {
  const filter: EventFilter = {};
  if (names && chance(rng, 0.2)) filter.eventNames = some(rng, NAMES, 3);
  if (chance(rng, 0.05)) filter.profileId = `u${Math.floor(rng() * 60)}`;
  if (chance(rng, 0.15)) filter.groupIds = some(rng, ['g0', 'g1', 'g2', 'g3', 'g8', 'g10'], 3);
  if (chance(rng, 0.15)) filter.groupType = pick(rng, GROUP_TYPES);
  if (chance(rng, 0.15)) filter.properties = [pick(rng, STEP_FILTERS)];
  if (chance(rng, 0.15)) filter.groupProperties = [pick(rng, GROUP_FILTERS)];
  return filter;
}

function randomUnit(rng: Rng): { unit: 'PROFILE' | 'GROUP'; groupType: string | null } {
  return chance(rng, 0.5) ? { unit: 'PROFILE', groupType: null } : { unit: 'GROUP', groupType: pick(rng, GROUP_TYPES) };
}

export function randomFunnel(rng: Rng): FunnelQuery {
  const count = chance(rng, 0.15) ? 2 + Math.floor(rng() * 9) : 2 + Math.floor(rng() * 3);
  const steps: FunnelQuery['steps'] = [];
  for (let i = 0; i < count; i++) {
    // Repeated step names need a second event.
    const name = i > 0 && chance(rng, 0.35) ? pick(rng, steps).name : pick(rng, NAMES);
    steps.push({ name, properties: chance(rng, 0.3) ? [pick(rng, STEP_FILTERS)] : null });
  }
  const from = WORLD_START + rng() * 40 * DAY;
  const unit = randomUnit(rng);
  const breakdown = pick(rng, [null, null, 'EVENT_PROPERTY', unit.unit === 'GROUP' ? 'GROUP_PROPERTY' : null] as const);
  return {
    steps,
    ...unit,
    from: new Date(from),
    to: new Date(from + (1 + rng() * 20) * DAY),
    windowSeconds: pick(rng, [1, 60, 600, 3600, 86_400, 3 * 86_400, 7 * 86_400, undefined]),
    filter: randomFilter(rng, false),
    breakdown,
    breakdownProperty:
      breakdown === 'GROUP_PROPERTY'
        ? pick(rng, ['plan', 'seats'])
        : breakdown
          ? pick(rng, ['kind', 'n', 'plan', 'tags'])
          : null,
    limit: 1 + Math.floor(rng() * 6),
  };
}

const SPAN_DAYS: Record<Interval, [number, number]> = { DAY: [1, 30], WEEK: [7, 50], MONTH: [25, 60] };

/** A range for bucketed questions: `from` on a bucket start in the zone, or anywhere. */
function randomRange(rng: Rng, interval: Interval, timezone: string) {
  let from = WORLD_START - 3 * DAY + rng() * 45 * DAY;
  if (chance(rng, 0.6)) from = midnight(bucketOf(from, interval, timezone), timezone);
  const [min, max] = SPAN_DAYS[interval];
  let to = from + (min + rng() * (max - min)) * DAY;
  if (chance(rng, 0.5)) to = midnight(bucketOf(to, 'DAY', timezone), timezone);
  return { from: new Date(from), to: new Date(Math.max(to, from + HOUR)) };
}

export function randomRetention(rng: Rng): RetentionQuery {
  const interval = pick(rng, ['DAY', 'WEEK', 'WEEK', 'MONTH'] as const);
  const timezone = pick(rng, TIMEZONES);
  return {
    ...randomUnit(rng),
    startEvent: chance(rng, 0.5) ? pick(rng, NAMES) : null,
    returnEvent: chance(rng, 0.5) ? pick(rng, NAMES) : null,
    ...randomRange(rng, interval, timezone),
    interval,
    periods: chance(rng, 0.1) ? 52 : 1 + Math.floor(rng() * 10),
    timezone,
    cohortType: pick(rng, ['FIRST_TIME', 'RECURRING'] as const),
    criteria: pick(rng, ['ON', 'ON_OR_AFTER'] as const),
    filter: randomFilter(rng, true),
  };
}

export function randomLifecycle(rng: Rng, intervals: readonly Interval[] = ['DAY', 'WEEK', 'MONTH']): LifecycleQuery {
  const interval = pick(rng, intervals);
  const timezone = pick(rng, TIMEZONES);
  return {
    ...randomUnit(rng),
    eventNames: chance(rng, 0.5) ? some(rng, NAMES, 2) : null,
    ...randomRange(rng, interval, timezone),
    interval,
    timezone,
    filter: randomFilter(rng, true),
  };
}

// ---------------------------------------------------------------- cohorts

/** Properties of a profile (the world's events do not say them; the test stores them). */
export function randomProfileProperties(rng: Rng): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  if (chance(rng, 0.8)) properties.tier = pick(rng, ['free', 'pro', 'enterprise']);
  if (chance(rng, 0.6)) properties.score = Math.floor(rng() * 10);
  return properties;
}

const PROFILE_FILTERS: PropertyFilter[] = [
  { key: 'tier', op: 'EQ', value: 'pro' },
  { key: 'tier', op: 'IN', value: ['pro', 'enterprise'] },
  { key: 'tier', op: 'EXISTS', value: false },
  { key: 'score', op: 'GTE', value: 5 },
];

/**
 * A cohort for an analysis of `unit` (and `groupType`): property rules on the
 * unit's properties, `performed` rules over the world's events (windows ending
 * at the world's `now`, some reaching before its start), and for groups member
 * counts (the stored world has no memberships: every group has 0).
 */
export function randomCohortFor(rng: Rng, unit: 'PROFILE' | 'GROUP', groupType: string | null): CohortInput {
  const rule = (): CohortRuleInput => {
    const negate = chance(rng, 0.25);
    const kind = pick(
      rng,
      unit === 'GROUP' ? ['property', 'performed', 'performed', 'memberCount'] : ['property', 'performed'],
    );
    if (kind === 'property') return { property: pick(rng, unit === 'GROUP' ? GROUP_FILTERS : PROFILE_FILTERS), negate };
    if (kind === 'memberCount') return { memberCount: { min: pick(rng, [0, 1]), max: null }, negate };
    const minCount = pick(rng, [0, 1, 1, 2, 5]);
    return {
      performed: {
        eventName: pick(rng, NAMES),
        lastDays: 1 + Math.floor(rng() * 70),
        minCount,
        maxCount: chance(rng, 0.3) ? minCount + Math.floor(rng() * 10) : null,
        properties: chance(rng, 0.3) ? [pick(rng, STEP_FILTERS)] : [],
      },
      negate,
    };
  };
  return {
    name: 'random',
    unit,
    groupType: unit === 'GROUP' ? groupType : null,
    match: pick(rng, ['ALL', 'ANY'] as const),
    rules: Array.from({ length: 1 + Math.floor(rng() * 3) }, rule),
  };
}
