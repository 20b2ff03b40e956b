import { describe, expect, it } from 'vitest';

import { bucketOf, onWholeHours, sliceBuckets } from '../src/services/analysis/accounts/buckets.ts';
import { validateFunnel, validateRetention, validateStickiness } from '../src/services/analysis/accounts/input.ts';
import { chooseSource, type SourceQuestion } from '../src/services/analysis/accounts/source.ts';
import { DAY_MS, HOUR_MS } from '../src/time.ts';

// The pure parts of the account-level analyses, table-driven: where activity is
// read from, which buckets a range has, and the defaults of the inputs.

describe('chooseSource', () => {
  const cases: [string, SourceQuestion, 'ACTIVITY' | 'EVENTS'][] = [
    ['any event, whole hours', { filter: {}, named: false, wholeHours: true }, 'ACTIVITY'],
    [
      'empty lists in the filter',
      { filter: { groupIds: [], properties: [] }, named: false, wholeHours: true },
      'ACTIVITY',
    ],
    ['a named event', { filter: {}, named: true, wholeHours: true }, 'EVENTS'],
    ['a half-hour zone', { filter: {}, named: false, wholeHours: false }, 'EVENTS'],
    ['a profile filter', { filter: { profileId: 'p' }, named: false, wholeHours: true }, 'EVENTS'],
    ['a group filter', { filter: { groupIds: ['g'] }, named: false, wholeHours: true }, 'EVENTS'],
    ['a group type filter', { filter: { groupType: 'company' }, named: false, wholeHours: true }, 'EVENTS'],
    [
      'a property filter',
      { filter: { properties: [{ key: 'k', op: 'EXISTS' }] }, named: false, wholeHours: true },
      'EVENTS',
    ],
    [
      'a group property filter',
      { filter: { groupProperties: [{ key: 'k', op: 'EXISTS' }] }, named: false, wholeHours: true },
      'EVENTS',
    ],
    // Even resolved to a cohort of profiles (which is no group condition), it restricts events.
    [
      'a cohort of profiles in the filter',
      {
        filter: {
          cohortId: 'c',
          cohort: {
            projectId: 'p',
            id: 'c',
            now: new Date(0),
            definition: { unit: 'PROFILE', groupType: null, match: 'ALL', rules: [] },
          },
        },
        named: false,
        wholeHours: true,
      },
      'EVENTS',
    ],
  ];
  it.each(cases)('%s → %s', (_label, question, expected) => expect(chooseSource(question)).toBe(expected));
});

describe('buckets', () => {
  const starts = [0, 10, 20, 30, 40, 50, 60].map((d) => d * HOUR_MS);
  const cases: [string, number, number, { before: number; after: number }, number, number[]][] = [
    ['aligned range', 10, 30, { before: 0, after: 0 }, 2, [10, 20, 30]],
    ['a partial first bucket is skipped', 15, 30, { before: 0, after: 0 }, 1, [20, 30]],
    ['the last bucket runs past to', 10, 25, { before: 0, after: 0 }, 2, [10, 20, 30]],
    ['one bucket before', 10, 30, { before: 1, after: 0 }, 2, [0, 10, 20, 30]],
    ['periods after', 10, 30, { before: 0, after: 2 }, 2, [10, 20, 30, 40, 50]],
    ['no bucket starts in the range', 11, 19, { before: 0, after: 0 }, 0, [20]],
  ];
  it.each(cases)('%s', (_label, from, to, extra, count, bounds) => {
    const buckets = sliceBuckets(starts, from * HOUR_MS, to * HOUR_MS, extra);
    expect(buckets.count).toBe(count);
    expect(buckets.bounds).toEqual(bounds.map((h) => h * HOUR_MS));
  });

  it('bucketOf places instants like width_bucket', () => {
    const buckets = sliceBuckets(starts, 10 * HOUR_MS, 30 * HOUR_MS, { before: 1, after: 0 });
    expect([-1, 0, 9.99, 10, 29.99, 30, 99].map((h) => bucketOf(buckets, h * HOUR_MS))).toEqual([
      -2, -1, -1, 0, 1, 2, 2,
    ]);
  });

  it('onWholeHours', () => {
    expect(onWholeHours([0, HOUR_MS, DAY_MS])).toBe(true);
    expect(onWholeHours([0, HOUR_MS / 2])).toBe(false);
  });
});

describe('input defaults', () => {
  const from = new Date('2026-01-01T00:00:00Z');
  const to = new Date('2026-02-01T00:00:00Z');
  it('funnel: 14-day window, PROFILE, ten series', () => {
    expect(validateFunnel({ steps: [{ name: 'a' }, { name: 'b' }], from, to })).toMatchObject({
      unit: 'PROFILE',
      groupType: null,
      windowMs: 14 * DAY_MS,
      limit: 10,
      breakdown: null,
      filter: {},
    });
  });
  it('retention: weekly, 8 periods, FIRST_TIME, ON, UTC', () => {
    expect(validateRetention({ from, to })).toMatchObject({
      interval: 'WEEK',
      periods: 8,
      cohortType: 'FIRST_TIME',
      criteria: 'ON',
      timezone: 'UTC',
      startEvent: null,
      returnEvent: null,
    });
  });
  it('stickiness: daily; an empty eventNames list means any event', () => {
    expect(validateStickiness({ from, to, eventNames: [] })).toMatchObject({ interval: 'DAY', eventNames: null });
  });
});
