import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { EventFilter } from '../src/services/analysis/filter.ts';
import { dayPieces, planQuestion, tileHours, type Plan, type UnitColumns } from '../src/services/analysis/plan.ts';
import { validateQuestion, type AggregationInput } from '../src/services/analysis/question.ts';
import { HOUR_MS } from '../src/time.ts';

// The pure planner: which storage answers a question, which hours come from the
// rollups and which from the raw events, and the buckets. No database: bucket
// boundaries are given as BucketBoundaries lists them from PostgreSQL (checked
// against PostgreSQL in test/aggregation.test.ts).

const at = (iso: string) => new Date(iso);
const dates = (...isos: string[]) => isos.map(at);

const DAY_RANGE = { from: at('2026-03-10T00:00:00Z'), to: at('2026-03-11T00:00:00Z') };

function plan(input: Partial<AggregationInput>, boundaries: Date[] | null = null): Plan {
  return planQuestion(validateQuestion({ metric: 'EVENTS', ...DAY_RANGE, ...input }), boundaries);
}

/** The rollup table, or the path when no rollup answers. */
const storageOf = (p: Plan) =>
  p.storage.path === 'rollup' || p.storage.path === 'activityDays' ? p.storage.table : p.storage.path;

const PROPERTY: EventFilter['properties'] = [{ key: 'plan', op: 'EQ', value: 'pro' }];

describe('which storage answers a question', () => {
  const cases: [string, Partial<AggregationInput>, ReturnType<typeof storageOf>][] = [
    ['event counts', {}, 'RollupHour'],
    ['unique groups', { metric: 'UNIQUE_GROUPS' }, 'GroupActivityDay'],
    [
      'unique groups of a type by plan',
      {
        metric: 'UNIQUE_GROUPS',
        breakdown: 'GROUP_PROPERTY',
        breakdownProperty: 'plan',
        filter: { groupType: 'company', groupIds: ['a'] },
      },
      'GroupActivityDay',
    ],
    ['unique groups of one profile', { metric: 'UNIQUE_GROUPS', filter: { profileId: 'u1' } }, 'RollupHourProfile'],
    ['a GROUP breakdown over a whole UTC day (daily group counts)', { breakdown: 'GROUP' }, 'GroupActivityDay'],
    [
      'a GROUP breakdown over part of a day (daily counts cannot be split)',
      { breakdown: 'GROUP', from: at('2026-03-10T05:00:00Z') },
      'RollupHour',
    ],
    [
      'a GROUP breakdown ending at 23:00Z (a Europe/Berlin midnight)',
      { breakdown: 'GROUP', to: at('2026-03-10T23:00:00Z') },
      'RollupHour',
    ],
    ['a GROUP_TYPE breakdown', { breakdown: 'GROUP_TYPE' }, 'RollupHour'],
    ['a GROUP_PROPERTY breakdown', { breakdown: 'GROUP_PROPERTY', breakdownProperty: 'plan' }, 'RollupHour'],
    ['a few groups (the rollup still wins over EventGroup)', { filter: { groupIds: ['a', 'b'] } }, 'RollupHour'],
    [
      'a group type and group properties',
      { filter: { groupType: 'company', groupProperties: PROPERTY } },
      'RollupHour',
    ],
    ['unique profiles', { metric: 'UNIQUE_PROFILES' }, 'ProfileActivityDay'],
    ['unique profiles by profile', { metric: 'UNIQUE_PROFILES', breakdown: 'PROFILE' }, 'ProfileActivityDay'],
    ['one unique profile', { metric: 'UNIQUE_PROFILES', filter: { profileId: 'u1' } }, 'ProfileActivityDay'],
    ['unique profiles by group', { metric: 'UNIQUE_PROFILES', breakdown: 'GROUP' }, 'RollupHourProfile'],
    ['one profile', { filter: { profileId: 'u1' } }, 'RollupHourProfile'],
    [
      'unique profiles of a few groups',
      { metric: 'UNIQUE_PROFILES', filter: { groupIds: ['a'] } },
      'RollupHourProfile',
    ],
    ['event names', { filter: { eventNames: ['signup'] } }, 'RollupHourName'],
    ['an EVENT_NAME breakdown', { breakdown: 'EVENT_NAME' }, 'RollupHourName'],
    ['unique groups by event name', { metric: 'UNIQUE_GROUPS', breakdown: 'EVENT_NAME' }, 'RollupHourName'],
    [
      'unique profiles by event name (names and profiles)',
      { metric: 'UNIQUE_PROFILES', breakdown: 'EVENT_NAME' },
      'events',
    ],
    ['event names of one profile', { filter: { eventNames: ['signup'], profileId: 'u1' } }, 'events'],
    [
      'event names of one profile in a few groups',
      { filter: { eventNames: ['signup'], profileId: 'u1', groupIds: ['a'] } },
      'eventGroups',
    ],
    ['an event-property filter', { filter: { properties: PROPERTY } }, 'events'],
    ['an event-property filter on a few groups', { filter: { properties: PROPERTY, groupIds: ['a'] } }, 'eventGroups'],
    [
      'an event-property filter on a few groups of a type',
      { filter: { properties: PROPERTY, groupIds: ['a'], groupType: 'company' } },
      'events',
    ],
    [
      'an event-property filter on a few groups with group properties',
      { filter: { properties: PROPERTY, groupIds: ['a'], groupProperties: PROPERTY } },
      'events',
    ],
    ['a PROFILE breakdown', { breakdown: 'PROFILE' }, 'RollupHourProfile'],
    ['unique groups by profile', { metric: 'UNIQUE_GROUPS', breakdown: 'PROFILE' }, 'RollupHourProfile'],
    [
      'a PROFILE breakdown of event names (names and profiles)',
      { breakdown: 'PROFILE', filter: { eventNames: ['x'] } },
      'events',
    ],
    ['an EVENT_PROPERTY breakdown', { breakdown: 'EVENT_PROPERTY', breakdownProperty: 'feature' }, 'events'],
    [
      'an EVENT_PROPERTY breakdown of a few groups',
      { breakdown: 'EVENT_PROPERTY', breakdownProperty: 'feature', filter: { groupIds: ['a'] } },
      'eventGroups',
    ],
    ['compared with the previous period', { compareTo: 'PREVIOUS_PERIOD', breakdown: 'GROUP_TYPE' }, 'RollupHour'],
    ['a filter ending before the range', { filter: { to: at('2026-03-09T00:00:00Z') } }, 'none'],
    [
      'a filter ending before the range, inside the previous period',
      { compareTo: 'PREVIOUS_PERIOD', filter: { to: at('2026-03-09T12:00:00Z') } },
      'RollupHour',
    ],
    ['a filter starting at its end', { filter: { from: at('2026-03-11T00:00:00Z') } }, 'none'],
    [
      'a filter range outside it, with a property filter',
      { filter: { from: at('2026-03-12T00:00:00Z'), properties: PROPERTY } },
      'none',
    ],
  ];
  it.each(cases)('%s: %s', (_name, input, expected) => {
    expect(storageOf(plan(input))).toBe(expected);
  });
});

describe('which unit columns a question keeps', () => {
  const none: UnitColumns = { sets: false, name: false, profile: false, prop: false };
  const cases: [string, Partial<AggregationInput>, UnitColumns][] = [
    ['event counts', {}, none],
    [
      'event counts filtered by name and group (filters read, not kept)',
      { filter: { eventNames: ['x'], groupIds: ['a'] } },
      none,
    ],
    ['unique groups', { metric: 'UNIQUE_GROUPS' }, { ...none, sets: true }],
    ['a GROUP breakdown', { breakdown: 'GROUP' }, { ...none, sets: true }],
    ['an EVENT_NAME breakdown', { breakdown: 'EVENT_NAME' }, { ...none, name: true }],
    ['unique profiles', { metric: 'UNIQUE_PROFILES' }, { ...none, profile: true }],
    [
      'unique profiles by group type',
      { metric: 'UNIQUE_PROFILES', breakdown: 'GROUP_TYPE' },
      { ...none, sets: true, profile: true },
    ],
    ['a PROFILE breakdown', { breakdown: 'PROFILE' }, { ...none, profile: true }],
    [
      'an EVENT_PROPERTY breakdown',
      { breakdown: 'EVENT_PROPERTY', breakdownProperty: 'feature' },
      { ...none, prop: true },
    ],
    [
      'unique groups by event property',
      { metric: 'UNIQUE_GROUPS', breakdown: 'EVENT_PROPERTY', breakdownProperty: 'feature' },
      { ...none, sets: true, prop: true },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(plan(input).columns).toEqual(expected);
  });
});

describe('whole hours from the rollups, edge hours from the raw events', () => {
  interface Case {
    input: Partial<AggregationInput>;
    boundaries?: string[];
    range: [string, string];
    /** Rollup span [from, to), or null when it holds no hour. */
    rollup: [string, string] | null;
    edges: string[];
  }
  const cases: [string, Case][] = [
    [
      'from and to on the hour: all whole hours',
      {
        input: {},
        range: ['2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'],
        rollup: ['2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'],
        edges: [],
      },
    ],
    [
      'from and to inside hours',
      {
        input: { from: at('2026-03-10T10:10:00Z'), to: at('2026-03-10T12:30:00Z') },
        range: ['2026-03-10T10:10:00Z', '2026-03-10T12:30:00Z'],
        rollup: ['2026-03-10T11:00:00Z', '2026-03-10T12:00:00Z'],
        edges: ['2026-03-10T10:00:00Z', '2026-03-10T12:00:00Z'],
      },
    ],
    [
      'only to inside an hour',
      {
        input: { from: at('2026-03-10T10:00:00Z'), to: at('2026-03-10T12:00:00.001Z') },
        range: ['2026-03-10T10:00:00Z', '2026-03-10T12:00:00.001Z'],
        rollup: ['2026-03-10T10:00:00Z', '2026-03-10T12:00:00Z'],
        edges: ['2026-03-10T12:00:00Z'],
      },
    ],
    [
      'from and to inside one hour: no whole hour',
      {
        input: { from: at('2026-03-10T10:10:00Z'), to: at('2026-03-10T10:50:00Z') },
        range: ['2026-03-10T10:10:00Z', '2026-03-10T10:50:00Z'],
        rollup: null,
        edges: ['2026-03-10T10:00:00Z'],
      },
    ],
    [
      'from and to inside neighbouring hours: no whole hour',
      {
        input: { from: at('2026-03-10T10:10:00Z'), to: at('2026-03-10T11:20:00Z') },
        range: ['2026-03-10T10:10:00Z', '2026-03-10T11:20:00Z'],
        rollup: null,
        edges: ['2026-03-10T10:00:00Z', '2026-03-10T11:00:00Z'],
      },
    ],
    [
      'Asia/Kolkata days (+05:30) start at 18:30Z: every boundary cuts an hour',
      {
        input: {
          from: at('2026-03-09T18:30:00Z'),
          to: at('2026-03-11T18:30:00Z'),
          interval: 'DAY',
          timezone: 'Asia/Kolkata',
        },
        boundaries: ['2026-03-09T18:30:00Z', '2026-03-10T18:30:00Z', '2026-03-11T18:30:00Z'],
        range: ['2026-03-09T18:30:00Z', '2026-03-11T18:30:00Z'],
        rollup: ['2026-03-09T19:00:00Z', '2026-03-11T18:00:00Z'],
        edges: ['2026-03-09T18:00:00Z', '2026-03-10T18:00:00Z', '2026-03-11T18:00:00Z'],
      },
    ],
    [
      'Asia/Kolkata hours: every hour is an edge hour',
      {
        input: {
          from: at('2026-03-10T00:00:00Z'),
          to: at('2026-03-10T03:00:00Z'),
          interval: 'HOUR',
          timezone: 'Asia/Kolkata',
        },
        boundaries: [
          '2026-03-09T23:30:00Z',
          '2026-03-10T00:30:00Z',
          '2026-03-10T01:30:00Z',
          '2026-03-10T02:30:00Z',
          '2026-03-10T03:30:00Z',
        ],
        range: ['2026-03-10T00:00:00Z', '2026-03-10T03:00:00Z'],
        rollup: ['2026-03-10T00:00:00Z', '2026-03-10T03:00:00Z'],
        edges: ['2026-03-10T00:00:00Z', '2026-03-10T01:00:00Z', '2026-03-10T02:00:00Z'],
      },
    ],
    [
      'Europe/Berlin across the spring change: a 23-hour day, boundaries on the hour',
      {
        input: {
          from: at('2026-03-28T23:00:00Z'),
          to: at('2026-03-30T22:00:00Z'),
          interval: 'DAY',
          timezone: 'Europe/Berlin',
        },
        boundaries: ['2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z', '2026-03-30T22:00:00Z'],
        range: ['2026-03-28T23:00:00Z', '2026-03-30T22:00:00Z'],
        rollup: ['2026-03-28T23:00:00Z', '2026-03-30T22:00:00Z'],
        edges: [],
      },
    ],
    [
      'Australia/Lord_Howe leaving DST by half an hour: the day after starts inside an hour',
      {
        input: {
          from: at('2026-04-03T13:00:00Z'),
          to: at('2026-04-05T13:30:00Z'),
          interval: 'DAY',
          timezone: 'Australia/Lord_Howe',
        },
        boundaries: ['2026-04-03T13:00:00Z', '2026-04-04T13:00:00Z', '2026-04-05T13:30:00Z'],
        range: ['2026-04-03T13:00:00Z', '2026-04-05T13:30:00Z'],
        rollup: ['2026-04-03T13:00:00Z', '2026-04-05T13:00:00Z'],
        edges: ['2026-04-05T13:00:00Z'],
      },
    ],
    [
      'a rolling window reaches back whole local days before from',
      {
        input: {
          from: at('2026-03-09T18:30:00Z'),
          to: at('2026-03-11T18:30:00Z'),
          interval: 'DAY',
          timezone: 'Asia/Kolkata',
          rollingDays: 2,
        },
        boundaries: ['2026-03-08T18:30:00Z', '2026-03-09T18:30:00Z', '2026-03-10T18:30:00Z', '2026-03-11T18:30:00Z'],
        range: ['2026-03-08T18:30:00Z', '2026-03-11T18:30:00Z'],
        rollup: ['2026-03-08T19:00:00Z', '2026-03-11T18:00:00Z'],
        edges: ['2026-03-08T18:00:00Z', '2026-03-09T18:00:00Z', '2026-03-10T18:00:00Z', '2026-03-11T18:00:00Z'],
      },
    ],
    [
      'compareTo reads the previous period too, and its end (from) cuts like a boundary',
      {
        input: { from: at('2026-03-10T10:30:00Z'), to: at('2026-03-10T12:30:00Z'), compareTo: 'PREVIOUS_PERIOD' },
        range: ['2026-03-10T08:30:00Z', '2026-03-10T12:30:00Z'],
        rollup: ['2026-03-10T09:00:00Z', '2026-03-10T12:00:00Z'],
        edges: ['2026-03-10T08:00:00Z', '2026-03-10T10:00:00Z', '2026-03-10T12:00:00Z'],
      },
    ],
    [
      'compareTo over days: the previous period is as long as the range, not as the buckets',
      {
        input: {
          from: at('2026-03-10T00:00:00Z'),
          to: at('2026-03-12T00:00:00Z'),
          interval: 'DAY',
          compareTo: 'PREVIOUS_PERIOD',
        },
        boundaries: ['2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z', '2026-03-12T00:00:00Z'],
        range: ['2026-03-08T00:00:00Z', '2026-03-12T00:00:00Z'],
        rollup: ['2026-03-08T00:00:00Z', '2026-03-12T00:00:00Z'],
        edges: [],
      },
    ],
    [
      "the filter's from/to narrow the range; only boundaries inside it cut",
      {
        input: {
          from: at('2026-03-09T18:30:00Z'),
          to: at('2026-03-11T18:30:00Z'),
          interval: 'DAY',
          timezone: 'Asia/Kolkata',
          filter: { from: at('2026-03-10T06:15:00Z'), to: at('2026-03-11T09:00:00Z') },
        },
        boundaries: ['2026-03-09T18:30:00Z', '2026-03-10T18:30:00Z', '2026-03-11T18:30:00Z'],
        range: ['2026-03-10T06:15:00Z', '2026-03-11T09:00:00Z'],
        rollup: ['2026-03-10T07:00:00Z', '2026-03-11T09:00:00Z'],
        edges: ['2026-03-10T06:00:00Z', '2026-03-10T18:00:00Z'],
      },
    ],
  ];
  it.each(cases)('%s', (_name, c) => {
    const p = plan(c.input, c.boundaries ? dates(...c.boundaries) : null);
    expect([p.rangeStart, p.rangeEnd]).toEqual(dates(...c.range));
    expect(p.storage.path).toBe('rollup');
    if (p.storage.path !== 'rollup') return;
    expect(p.storage.hours).toEqual({
      rollupHours: c.rollup && { from: at(c.rollup[0]), to: at(c.rollup[1]) },
      edgeHours: dates(...c.edges),
    });
  });

  it('open ends (Group.stats without from or to) and cuts', () => {
    const cases: [string | null, string | null, string[], [string | null, string | null] | null, string[]][] = [
      [null, null, [], [null, null], []],
      [null, '2026-03-10T10:30:00Z', [], [null, '2026-03-10T10:00:00Z'], ['2026-03-10T10:00:00Z']],
      ['2026-03-10T10:30:00Z', null, [], ['2026-03-10T11:00:00Z', null], ['2026-03-10T10:00:00Z']],
      [
        '2026-03-10T10:00:00Z',
        '2026-03-10T12:00:00Z',
        ['2026-03-10T11:00:00Z'],
        ['2026-03-10T10:00:00Z', '2026-03-10T12:00:00Z'],
        [],
      ],
      [
        '2026-03-10T10:00:00Z',
        '2026-03-10T12:00:00Z',
        ['2026-03-10T11:30:00Z', '2026-03-10T11:45:00Z'],
        ['2026-03-10T10:00:00Z', '2026-03-10T12:00:00Z'],
        ['2026-03-10T11:00:00Z'],
      ],
      ['1969-12-31T22:30:00Z', '1969-12-31T23:30:00Z', [], null, ['1969-12-31T22:00:00Z', '1969-12-31T23:00:00Z']],
    ];
    const orNull = (iso: string | null) => (iso === null ? null : at(iso));
    for (const [start, end, cuts, rollup, edges] of cases) {
      expect(tileHours(orNull(start), orNull(end), dates(...cuts)), JSON.stringify([start, end, cuts])).toEqual({
        rollupHours: rollup && { from: orNull(rollup[0]), to: orNull(rollup[1]) },
        edgeHours: dates(...edges),
      });
    }
  });

  it('every instant of the range is read exactly once, and rollup hours lie wholly inside it', () => {
    const ms = fc.integer({ min: 0, max: 96 * HOUR_MS });
    fc.assert(
      fc.property(ms, ms, fc.array(ms, { maxLength: 5 }), fc.array(ms, { maxLength: 20 }), (a, b, cutList, probes) => {
        const [start, end] = a < b ? [a, b] : [b, a + 1];
        const cuts = cutList.filter((c) => c > start && c < end).map((c) => new Date(c));
        const { rollupHours, edgeHours } = tileHours(new Date(start), new Date(end), cuts);
        const edges = new Set(edgeHours.map((h) => h.getTime()));
        const inRollup = (hour: number) =>
          rollupHours !== null &&
          hour >= rollupHours.from!.getTime() &&
          hour < rollupHours.to!.getTime() &&
          !edges.has(hour);
        for (const probe of [start, end - 1, ...probes.map((p) => start + (p % (end - start)))]) {
          const hour = probe - (probe % HOUR_MS);
          expect(Number(inRollup(hour)) + Number(edges.has(hour))).toBe(1);
          // A rollup hour holds no cut: the hour is read whole or not at all.
          if (inRollup(hour)) expect(hour >= start && hour + HOUR_MS <= end).toBe(true);
        }
        for (const cut of cuts)
          expect(edges.has(cut.getTime() - (cut.getTime() % HOUR_MS)) || cut.getTime() % HOUR_MS === 0).toBe(true);
      }),
      { numRuns: 500, seed: 20261202 },
    );
  });
});

describe('buckets', () => {
  it('plain buckets start at from; points are the base buckets', () => {
    const p = plan(
      { from: at('2026-03-10T06:00:00Z'), to: at('2026-03-12T00:00:00Z'), interval: 'DAY' },
      dates('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z', '2026-03-12T00:00:00Z'),
    );
    expect(p).toMatchObject({
      starts: dates('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'),
      labels: dates('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'),
      outputs: [1, 2],
      window: 1,
      rangeStart: at('2026-03-10T06:00:00Z'),
    });
  });

  it('rolling windows: each output covers its base bucket and the ones before', () => {
    const p = plan(
      { from: at('2026-03-10T00:00:00Z'), to: at('2026-03-12T00:00:00Z'), interval: 'DAY', rollingDays: 3 },
      dates(
        '2026-03-08T00:00:00Z',
        '2026-03-09T00:00:00Z',
        '2026-03-10T00:00:00Z',
        '2026-03-11T00:00:00Z',
        '2026-03-12T00:00:00Z',
      ),
    );
    expect(p).toMatchObject({
      starts: dates('2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z', '2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'),
      labels: dates('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'),
      outputs: [3, 4],
      window: 3,
      rangeStart: at('2026-03-08T00:00:00Z'),
    });
  });

  it('without interval: one bucket labelled from', () => {
    expect(plan({})).toMatchObject({ starts: [DAY_RANGE.from], labels: [DAY_RANGE.from], outputs: [1], window: 1 });
  });

  it('compareTo: previousEnd is from, the previous period is [2·from − to, from)', () => {
    const p = plan({ from: at('2026-03-10T06:00:00Z'), to: at('2026-03-10T09:00:00Z'), compareTo: 'PREVIOUS_PERIOD' });
    expect(p).toMatchObject({ previousEnd: at('2026-03-10T06:00:00Z'), rangeStart: at('2026-03-10T03:00:00Z') });
    expect(plan({}).previousEnd).toBeNull();
  });

  it('an interval without its boundaries is a programming error', () => {
    expect(() => plan({ interval: 'DAY' })).toThrow(/needs its bucket boundaries/);
  });
});

describe('validation of the series options', () => {
  const cases: [string, Partial<AggregationInput>, string][] = [
    ['EVENT_PROPERTY without its property', { breakdown: 'EVENT_PROPERTY' }, 'input.breakdownProperty'],
    ['a property with PROFILE', { breakdown: 'PROFILE', breakdownProperty: 'x' }, 'input.breakdownProperty'],
    ['a negative offset', { offset: -1 }, 'input.offset'],
    ['a fractional offset', { offset: 1.5 }, 'input.offset'],
    ['an unknown order', { order: 'UP' as never }, 'input.order'],
    ['ordering by change without compareTo', { orderBy: 'CHANGE_PERCENT' }, 'input.orderBy'],
    [
      'compareTo with rollingDays',
      { compareTo: 'PREVIOUS_PERIOD', interval: 'DAY', rollingDays: 7 },
      'input.compareTo',
    ],
    ['an unknown comparison', { compareTo: 'LAST_YEAR' as never }, 'input.compareTo'],
  ];
  it.each(cases)('%s', (_name, input, field) => {
    expect(() => validateQuestion({ metric: 'EVENTS', ...DAY_RANGE, ...input })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', field }),
    );
  });

  it('defaults: first page, largest total first, no comparison', () => {
    expect(validateQuestion({ metric: 'EVENTS', ...DAY_RANGE })).toMatchObject({
      offset: 0,
      order: 'DESC',
      orderBy: 'TOTAL',
      previousFrom: null,
    });
  });
});

describe('unique counts from daily activity: the rollup hours as pieces of UTC days', () => {
  const day = (iso: string) => at(`${iso}T00:00:00Z`);
  const bits = (...hours: number[]) => hours.reduce((mask, h) => mask | (1 << h), 0);
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  it('UTC days: one piece a day, all 24 hours', () => {
    const p = plan(
      { metric: 'UNIQUE_GROUPS', from: at('2026-03-10T00:00:00Z'), to: at('2026-03-12T00:00:00Z'), interval: 'DAY' },
      dates('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z', '2026-03-12T00:00:00Z'),
    );
    expect(p.storage).toEqual({
      path: 'activityDays',
      table: 'GroupActivityDay',
      pieces: { days: [day('2026-03-10'), day('2026-03-11')], buckets: [1, 2], masks: [0xffffff, 0xffffff] },
      edgeHours: [],
    });
  });

  it('Europe/Berlin days split each UTC day at 23:00 (winter), a ragged end is an edge hour', () => {
    const p = plan(
      {
        metric: 'UNIQUE_PROFILES',
        from: at('2026-03-09T23:00:00Z'),
        to: at('2026-03-11T10:30:00Z'),
        interval: 'DAY',
        timezone: 'Europe/Berlin',
      },
      dates('2026-03-09T23:00:00Z', '2026-03-10T23:00:00Z', '2026-03-11T23:00:00Z'),
    );
    expect(p.storage).toEqual({
      path: 'activityDays',
      table: 'ProfileActivityDay',
      pieces: {
        days: [day('2026-03-09'), day('2026-03-10'), day('2026-03-10'), day('2026-03-11')],
        buckets: [1, 1, 2, 2],
        masks: [bits(23), bits(...range(0, 23)), bits(23), bits(...range(0, 10))],
      },
      edgeHours: [at('2026-03-11T10:00:00Z')],
    });
  });

  it('compareTo: the previous period is bucket 0', () => {
    const p = plan({
      metric: 'UNIQUE_GROUPS',
      from: at('2026-03-10T12:00:00Z'),
      to: at('2026-03-11T00:00:00Z'),
      compareTo: 'PREVIOUS_PERIOD',
    });
    expect(p.storage).toMatchObject({
      pieces: {
        days: [day('2026-03-10'), day('2026-03-10')],
        buckets: [0, 1],
        masks: [bits(...range(0, 12)), bits(...range(12, 24))],
      },
    });
  });

  it('every whole hour of the span is in exactly one piece, in the bucket holding it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 24 * 40 }),
        fc.integer({ min: 1, max: 24 * 20 }),
        fc.array(fc.integer({ min: 1, max: 24 * 20 - 1 }), { maxLength: 6 }),
        (startHour, length, cutOffsets) => {
          const base = Date.parse('2026-03-01T00:00:00Z');
          const from = base + startHour * HOUR_MS;
          const to = from + length * HOUR_MS;
          const starts = [...new Set([0, ...cutOffsets.filter((c) => c < length)])]
            .sort((a, b) => a - b)
            .map((c) => new Date(from + c * HOUR_MS));
          const pieces = dayPieces({ from: new Date(from), to: new Date(to) }, [], starts, null);
          const seen = new Map<number, number>();
          pieces.days.forEach((d, i) => {
            for (let h = 0; h < 24; h++) {
              if (!(pieces.masks[i]! & (1 << h))) continue;
              const hour = d.getTime() + h * HOUR_MS;
              expect(seen.has(hour)).toBe(false);
              seen.set(hour, pieces.buckets[i]!);
            }
          });
          expect(seen.size).toBe(length);
          for (const [hour, bucket] of seen) expect(bucket).toBe(starts.filter((s) => s.getTime() <= hour).length);
        },
      ),
    );
  });
});
