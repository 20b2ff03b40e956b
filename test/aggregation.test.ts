import { describe, expect, it } from 'vitest';

import {
  EventAggregationDocument,
  UpsertGroupDocument,
  type AggregationMetric,
  type EventAggregationInput,
  type EventAggregationQuery,
  type EventFilter,
} from '../src/sdk/index.ts';
import { validateQuestion } from '../src/services/analysis/question.ts';
import { AggregationService } from '../src/services/analysis/service.ts';
import type { CreatedKey } from '../src/services/keys.ts';
import { DAY_MS, MINUTE_MS } from '../src/time.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';

// eventAggregation and the group overview, with fixtures small enough that every
// expected number is worked out by hand in the comments.
const t = useTestApp();

interface TrackSpec {
  at: string;
  name?: string;
  profileId?: string;
  groups?: string[];
  properties?: Record<string, unknown>;
}

async function newProject(): Promise<CreatedKey> {
  return t.createKey('root');
}

async function track(key: CreatedKey, events: TrackSpec[]): Promise<void> {
  for (const e of events) {
    await t.ok(
      'mutation($input: TrackInput!) { track(input: $input) { duplicate } }',
      {
        input: {
          name: e.name ?? 'page_view',
          profileId: e.profileId,
          groups: e.groups ?? [],
          properties: e.properties,
          timestamp: e.at,
          inheritProfileGroups: false,
        },
      },
      key,
    );
  }
}

async function upsertGroup(
  key: CreatedKey,
  id: string,
  type: string | null,
  name: string | null,
  properties: Record<string, unknown> = {},
) {
  await t.ok(UpsertGroupDocument, { input: { id, type, name, properties } }, key);
}

type Aggregation = EventAggregationQuery['eventAggregation'];
type Series = Aggregation['series'][number];

async function aggregate(key: CreatedKey, input: EventAggregationInput): Promise<Aggregation> {
  return (await t.ok(EventAggregationDocument, { input }, key)).eventAggregation;
}

/** key → point values, for compact expectations. */
const valuesByKey = (series: Series[]) =>
  Object.fromEntries(series.map((s) => [String(s.key), s.points.map((p) => p.value)]));
const totalsByKey = (series: Series[]) => Object.fromEntries(series.map((s) => [String(s.key), s.total]));

describe('buckets in a time zone', () => {
  it('DAY in Europe/Berlin across the spring change: the 29th is 23 hours long', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-28T22:30:00Z' }, // 23:30 CET on the 28th
      { at: '2026-03-28T23:30:00Z' }, // 00:30 CET on the 29th
      { at: '2026-03-29T21:30:00Z' }, // 23:30 CEST on the 29th
      { at: '2026-03-29T22:30:00Z' }, // 00:30 CEST on the 30th
    ]);
    const result = await aggregate(key, {
      metric: 'EVENTS',
      from: '2026-03-27T23:00:00Z', // local midnight of the 28th
      to: '2026-03-30T22:00:00Z', // local midnight of the 31st
      interval: 'DAY',
      timezone: 'Europe/Berlin',
    });
    expect(result.buckets).toEqual([
      '2026-03-27T23:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
    ]);
    expect(result.series[0]!.points.map((p) => p.value)).toEqual([1, 2, 1]);
    expect(result.total).toBe(4);
  });

  it('DAY in America/New_York across its spring change (8 March)', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-08T04:59:00Z' },
      { at: '2026-03-08T05:00:00Z' },
      { at: '2026-03-09T03:59:00Z' },
      { at: '2026-03-09T04:00:00Z' },
    ]);
    const result = await aggregate(key, {
      metric: 'EVENTS',
      from: '2026-03-07T05:00:00Z',
      to: '2026-03-10T04:00:00Z',
      interval: 'DAY',
      timezone: 'America/New_York',
    });
    // 7 March starts at 05:00Z (EST), 8 March at 05:00Z, 9 March at 04:00Z (EDT): the 8th has 23 hours.
    expect(result.buckets).toEqual([
      '2026-03-07T05:00:00.000Z',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
    ]);
    expect(result.series[0]!.points.map((p) => p.value)).toEqual([1, 2, 1]);
  });

  it('HOUR buckets are real hours: the repeated 02:00 of the autumn change is two buckets, the skipped one none', async () => {
    const key = await newProject();
    await track(key, [{ at: '2026-10-25T00:30:00Z' }, { at: '2026-10-25T01:30:00Z' }, { at: '2026-10-25T01:45:00Z' }]);
    const autumn = await aggregate(key, {
      metric: 'EVENTS',
      from: '2026-10-24T23:00:00Z',
      to: '2026-10-25T03:00:00Z',
      interval: 'HOUR',
      timezone: 'Europe/Berlin',
    });
    // 01:00 CEST, 02:00 CEST, 02:00 CET, 03:00 CET
    expect(autumn.buckets).toEqual([
      '2026-10-24T23:00:00.000Z',
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
    expect(autumn.series[0]!.points.map((p) => p.value)).toEqual([0, 1, 2, 0]);

    const spring = await aggregate(key, {
      metric: 'EVENTS',
      from: '2026-03-29T00:00:00Z',
      to: '2026-03-29T03:00:00Z',
      interval: 'HOUR',
      timezone: 'Europe/Berlin',
    });
    // 01:00 CET, then 03:00 CEST: local 02:00 does not exist.
    expect(spring.buckets).toEqual([
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ]);
  });

  it('half-hour zones: Asia/Kolkata days start at 18:30Z, and the rollup path reads the cut hours from the events', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-10T18:29:59Z', groups: ['org_k'] }, // 23:59:59 on the 10th
      { at: '2026-03-10T18:30:00Z', groups: ['org_k'] }, // 00:00 on the 11th
      { at: '2026-03-10T18:45:00Z', groups: ['org_k'] },
      { at: '2026-03-10T12:00:00Z', groups: ['org_k'] },
    ]);
    const input = {
      metric: 'EVENTS' as const,
      from: new Date('2026-03-09T18:30:00Z'),
      to: new Date('2026-03-11T18:30:00Z'),
      interval: 'DAY' as const,
      timezone: 'Asia/Kolkata',
    };
    const result = await aggregate(key, input);
    expect(result.buckets).toEqual(['2026-03-09T18:30:00.000Z', '2026-03-10T18:30:00.000Z']);
    expect(result.series[0]!.points.map((p) => p.value)).toEqual([2, 2]);
    // Whole hours from the rollup; the hours the 18:30Z boundaries cut from the raw events.
    const plan = await new AggregationService(t.db.prisma).plan(validateQuestion(input));
    expect(plan.storage.path).toBe('rollup');
    expect(plan.storage.path === 'rollup' && plan.storage.hours.edgeHours).toEqual([
      new Date('2026-03-09T18:00:00Z'),
      new Date('2026-03-10T18:00:00Z'),
      new Date('2026-03-11T18:00:00Z'),
    ]);
  });

  it('WEEK starts on Monday and MONTH on the 1st, local time', async () => {
    const key = await newProject();
    await track(key, [{ at: '2026-03-01T00:30:00Z' }, { at: '2026-03-02T00:30:00Z' }, { at: '2026-03-31T22:30:00Z' }]);
    const weeks = await aggregate(key, {
      metric: 'EVENTS',
      from: '2026-02-28T23:00:00Z',
      to: '2026-03-15T23:00:00Z',
      interval: 'WEEK',
      timezone: 'Europe/Berlin',
    });
    // Sunday 1 March belongs to the week of Monday 23 February.
    expect(weeks.buckets).toEqual(['2026-02-22T23:00:00.000Z', '2026-03-01T23:00:00.000Z', '2026-03-08T23:00:00.000Z']);
    expect(weeks.series[0]!.points.map((p) => p.value)).toEqual([1, 1, 0]);
    const months = await aggregate(key, {
      metric: 'EVENTS',
      from: '2026-02-28T23:00:00Z',
      to: '2026-04-30T22:00:00Z',
      interval: 'MONTH',
      timezone: 'Europe/Berlin',
    });
    // 31 March 22:30Z is 1 April 00:30 CEST.
    expect(months.buckets).toEqual(['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z']);
    expect(months.series[0]!.points.map((p) => p.value)).toEqual([2, 1]);
  });

  it('a from/to inside an hour counts only the events between them', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-10T10:05:00Z' },
      { at: '2026-03-10T10:20:00Z' },
      { at: '2026-03-10T11:30:00Z' },
      { at: '2026-03-10T12:40:00Z' },
    ]);
    const input = {
      metric: 'EVENTS' as const,
      from: new Date('2026-03-10T10:10:00Z'),
      to: new Date('2026-03-10T12:30:00Z'),
    };
    const result = await aggregate(key, input);
    expect(result.series[0]!.total).toBe(2); // 10:20 and 11:30
    expect(result.buckets).toEqual(['2026-03-10T10:10:00.000Z']);
    const plan = await new AggregationService(t.db.prisma).plan(validateQuestion(input));
    expect(plan.storage.path === 'rollup' && plan.storage.hours.edgeHours).toEqual([
      new Date('2026-03-10T10:00:00Z'),
      new Date('2026-03-10T12:00:00Z'),
    ]);
  });

  it('without from and to: the last 30 days up to now', async () => {
    const key = await newProject();
    const now = new Date();
    await track(key, [
      { at: new Date(now.getTime() - MINUTE_MS).toISOString() },
      { at: new Date(now.getTime() - 31 * DAY_MS).toISOString() },
    ]);
    const result = await aggregate(key, { metric: 'EVENTS', interval: 'DAY' });
    const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    expect(result.buckets).toHaveLength(31);
    expect(result.buckets.at(-1)).toBe(today.toISOString());
    expect(result.series[0]!.points.reduce((sum, p) => sum + p.value, 0)).toBe(1); // the event 31 days ago is outside
    expect(result.total).toBe(1);
  });
});

describe('gap filling and counting rules', () => {
  it('every bucket is present with zeros, for every series', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-02T10:00:00Z', groups: ['a'] },
      { at: '2026-03-04T10:00:00Z', groups: ['a'] },
      { at: '2026-03-04T11:00:00Z', groups: ['a'] },
      { at: '2026-03-03T10:00:00Z', groups: ['b'] },
    ]);
    const result = await aggregate(key, {
      metric: 'EVENTS',
      from: '2026-03-01T00:00:00Z',
      to: '2026-03-06T00:00:00Z',
      interval: 'DAY',
      breakdown: 'GROUP',
    });
    expect(result.buckets).toHaveLength(5);
    expect(valuesByKey(result.series)).toEqual({ a: [0, 1, 0, 2, 0], b: [0, 0, 1, 0, 0] });
    const empty = await aggregate(key, {
      metric: 'EVENTS',
      from: '2026-05-01T00:00:00Z',
      to: '2026-05-04T00:00:00Z',
      interval: 'DAY',
    });
    expect(empty.series).toEqual([
      {
        key: null,
        label: 'Events',
        total: 0,
        previousTotal: null,
        changePercent: null,
        points: empty.buckets.map((bucket) => ({ bucket, value: 0 })),
      },
    ]);
  });

  it('an event with two groups counts once in each group series and once in totals; group-less events stay in totals', async () => {
    const key = await newProject();
    await upsertGroup(key, 'acme', 'company', 'Acme');
    await upsertGroup(key, 'globex', 'company', 'Globex');
    await upsertGroup(key, 'eng', 'team', 'Engineering');
    await track(key, [
      { at: '2026-03-02T10:00:00Z', groups: ['acme', 'eng'], profileId: 'u1' },
      { at: '2026-03-02T11:00:00Z', groups: ['acme', 'globex'], profileId: 'u2' },
      { at: '2026-03-02T12:00:00Z', groups: ['acme'], profileId: 'u1' },
      { at: '2026-03-02T13:00:00Z', groups: [], profileId: 'u3' },
    ]);
    const range = { from: '2026-03-01T00:00:00Z', to: '2026-03-05T00:00:00Z' };
    const byGroup = await aggregate(key, { metric: 'EVENTS', ...range, breakdown: 'GROUP' });
    expect(totalsByKey(byGroup.series)).toEqual({ acme: 3, globex: 1, eng: 1, null: 1 });
    expect(byGroup.series.map((s) => s.label)).toEqual(['Acme', 'Engineering', 'Globex', '(no group)']);
    expect(byGroup.total).toBe(4);
    const plain = await aggregate(key, { metric: 'EVENTS', ...range });
    expect(plain.series[0]!.total).toBe(4);
    // Types: the acme+globex event is one "company" event; the acme+eng one is in both.
    const byType = await aggregate(key, { metric: 'EVENTS', ...range, breakdown: 'GROUP_TYPE' });
    expect(totalsByKey(byType.series)).toEqual({ company: 3, team: 1, null: 1 });
    const profilesByType = await aggregate(key, { metric: 'UNIQUE_PROFILES', ...range, breakdown: 'GROUP_TYPE' });
    expect(totalsByKey(profilesByType.series)).toEqual({ company: 2, team: 1, null: 1 });
    const groups = await aggregate(key, { metric: 'UNIQUE_GROUPS', ...range, breakdown: 'GROUP_TYPE' });
    expect(totalsByKey(groups.series)).toEqual({ company: 2, team: 1 });
    expect(groups.total).toBe(3);
  });

  it('unique metrics are distinct over the whole range, not sums of their points', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-02T10:00:00Z', profileId: 'u1', groups: ['a'] },
      { at: '2026-03-02T11:00:00Z', profileId: 'u1', groups: ['a'] },
      { at: '2026-03-03T10:00:00Z', profileId: 'u1', groups: ['a'] },
      { at: '2026-03-03T11:00:00Z', profileId: 'u2', groups: ['b'] },
      { at: '2026-03-03T12:00:00Z' }, // anonymous: no profile to count
    ]);
    const range = { from: '2026-03-02T00:00:00Z', to: '2026-03-04T00:00:00Z', interval: 'DAY' as const };
    const profiles = await aggregate(key, { metric: 'UNIQUE_PROFILES', ...range });
    expect(profiles.series[0]).toMatchObject({ total: 2 });
    expect(profiles.series[0]!.points.map((p) => p.value)).toEqual([1, 2]);
    const groups = await aggregate(key, { metric: 'UNIQUE_GROUPS', ...range });
    expect(groups.series[0]!.total).toBe(2);
    expect(groups.series[0]!.points.map((p) => p.value)).toEqual([1, 2]);
  });

  it('rollingDays counts each day with the days before it, also before from', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-09T12:00:00Z', groups: ['c'] }, // the day before from
      { at: '2026-03-10T12:00:00Z', groups: ['a'] },
      { at: '2026-03-12T12:00:00Z', groups: ['b'] },
    ]);
    const result = await aggregate(key, {
      metric: 'UNIQUE_GROUPS',
      from: '2026-03-10T00:00:00Z',
      to: '2026-03-15T00:00:00Z',
      interval: 'DAY',
      rollingDays: 3,
    });
    expect(result.buckets).toHaveLength(5);
    // 10th: {c, a}; 11th: {c, a}; 12th: {a, b}; 13th: {b}; 14th: {b}
    expect(result.series[0]!.points.map((p) => p.value)).toEqual([2, 2, 2, 1, 1]);
  });
});

describe('filters and breakdowns', () => {
  async function fixture() {
    const key = await newProject();
    await upsertGroup(key, 'acme', 'company', 'Acme', { plan: 'pro', seats: 25 });
    await upsertGroup(key, 'globex', 'company', 'Globex', { plan: 'free', seats: 3 });
    await upsertGroup(key, 'eng', 'team', 'Engineering');
    await track(key, [
      {
        at: '2026-03-02T10:00:00Z',
        name: 'report_exported',
        profileId: 'u1',
        groups: ['acme', 'eng'],
        properties: { format: 'PDF', rows: 10 },
      },
      {
        at: '2026-03-02T11:00:00Z',
        name: 'report_exported',
        profileId: 'u2',
        groups: ['globex'],
        properties: { format: 'csv', rows: 500 },
      },
      {
        at: '2026-03-03T10:00:00Z',
        name: 'page_view',
        profileId: 'u1',
        groups: ['acme'],
        properties: { path: '/a', tags: ['x', 'y'] },
      },
      { at: '2026-03-03T11:00:00Z', name: 'page_view', profileId: 'u3', groups: ['ghost'], properties: { path: '/b' } },
      { at: '2026-03-04T10:00:00Z', name: 'signup', groups: [] },
    ]);
    return key;
  }
  const range = { from: '2026-03-01T00:00:00Z', to: '2026-03-06T00:00:00Z' };

  it('each part of EventFilter narrows the events', async () => {
    const key = await fixture();
    const total = async (filter: EventFilter, metric: AggregationMetric = 'EVENTS') =>
      (await aggregate(key, { metric, ...range, filter })).series[0]!.total;
    expect(await total({})).toBe(5);
    expect(await total({ eventNames: ['report_exported', 'signup'] })).toBe(3);
    expect(await total({ profileId: 'u1' })).toBe(2);
    expect(await total({ groupIds: ['acme', 'ghost'] })).toBe(3);
    expect(await total({ groupType: 'company' })).toBe(3);
    expect(await total({ groupType: 'team' })).toBe(1);
    expect(await total({ groupProperties: [{ key: 'plan', op: 'EQ', value: 'pro' }] })).toBe(2);
    expect(await total({ groupProperties: [{ key: 'seats', op: 'LT', value: 10 }] })).toBe(1);
    expect(await total({ properties: [{ key: 'rows', op: 'GT', value: 100 }] })).toBe(1);
    expect(await total({ properties: [{ key: 'format', op: 'CONTAINS', value: 'pd' }] })).toBe(1);
    expect(await total({ properties: [{ key: 'tags', op: 'CONTAINS', value: 'y' }] })).toBe(1);
    expect(await total({ properties: [{ key: 'format', op: 'IN', value: ['csv', 'xml'] }] })).toBe(1);
    expect(await total({ properties: [{ key: 'path', op: 'EXISTS' }] })).toBe(2);
    expect(await total({ from: '2026-03-03T00:00:00Z', to: '2026-03-04T00:00:00Z' })).toBe(2);
    expect(await total({ groupType: 'company', eventNames: ['page_view'] }, 'UNIQUE_PROFILES')).toBe(1);
    // UNIQUE_GROUPS counts only the groups the filter is about.
    expect(await total({ groupType: 'company' }, 'UNIQUE_GROUPS')).toBe(2);
    expect(await total({ groupIds: ['eng', 'ghost'] }, 'UNIQUE_GROUPS')).toBe(2);
  });

  it('GROUP_PROPERTY, EVENT_NAME and GROUP breakdowns, with labels', async () => {
    const key = await fixture();
    const byPlan = await aggregate(key, {
      metric: 'EVENTS',
      ...range,
      breakdown: 'GROUP_PROPERTY',
      breakdownProperty: 'plan',
    });
    // pro: the two acme events; free: globex; no plan on any group: ghost's and the group-less one.
    expect(totalsByKey(byPlan.series)).toEqual({ pro: 2, free: 1, null: 2 });
    expect(byPlan.series.find((s) => s.key === null)!.label).toBe('(not set)');
    const bySeats = await aggregate(key, {
      metric: 'UNIQUE_GROUPS',
      ...range,
      breakdown: 'GROUP_PROPERTY',
      breakdownProperty: 'seats',
      filter: { groupType: 'company' },
    });
    expect(totalsByKey(bySeats.series)).toEqual({ '25': 1, '3': 1 });
    const byName = await aggregate(key, { metric: 'UNIQUE_PROFILES', ...range, breakdown: 'EVENT_NAME' });
    expect(totalsByKey(byName.series)).toEqual({ report_exported: 2, page_view: 2 });
    const byGroup = await aggregate(key, {
      metric: 'EVENTS',
      ...range,
      breakdown: 'GROUP',
      filter: { groupType: 'company' },
    });
    expect(byGroup.series.map((s) => [s.key, s.label, s.total])).toEqual([
      ['acme', 'Acme', 2],
      ['globex', 'Globex', 1],
    ]);
    const placeholder = await aggregate(key, {
      metric: 'EVENTS',
      ...range,
      breakdown: 'GROUP',
      filter: { groupIds: ['ghost'] },
    });
    expect(placeholder.series.map((s) => [s.key, s.label])).toEqual([['ghost', 'ghost']]);
  });

  it('limit keeps the top series by total, ties in key order', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-02T10:00:00Z', groups: ['b'] },
      { at: '2026-03-02T10:00:00Z', groups: ['c'] },
      { at: '2026-03-02T10:00:00Z', groups: ['a'] },
      { at: '2026-03-02T11:00:00Z', groups: ['d'] },
      { at: '2026-03-02T12:00:00Z', groups: ['d'] },
    ]);
    const result = await aggregate(key, { metric: 'EVENTS', ...range, breakdown: 'GROUP', limit: 3 });
    expect(result.series.map((s) => [s.key, s.total])).toEqual([
      ['d', 2],
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('declining companies in one query: compareTo, ordered by change, ascending, paged', async () => {
    const key = await newProject();
    // Previous period 26–28 February (the 3 days before from = 1 March), current 1–3 March.
    await track(key, [
      ...['a', 'a', 'a', 'a', 'b', 'b', 'c', 'd'].map((g) => ({ at: '2026-02-28T10:00:00Z', groups: [g] })),
      // now: a 1 (−75 %), b 3 (+50 %), c 0 (−100 %), d 1 (±0), e 2 (new: no change)
      ...['a', 'b', 'b', 'b', 'd', 'e', 'e'].map((g) => ({ at: '2026-03-02T10:00:00Z', groups: [g] })),
    ]);
    const input = {
      metric: 'EVENTS' as const,
      from: '2026-03-01T00:00:00Z',
      to: '2026-03-04T00:00:00Z',
      breakdown: 'GROUP' as const,
      compareTo: 'PREVIOUS_PERIOD' as const,
      orderBy: 'CHANGE_PERCENT' as const,
      order: 'ASC' as const,
      limit: 2,
    };
    const first = await aggregate(key, input);
    expect(first.seriesCount).toBe(5);
    expect(first.series.map((s) => [s.key, s.total, s.previousTotal, s.changePercent])).toEqual([
      ['c', 0, 1, -100],
      ['a', 1, 4, -75],
    ]);
    const rest = await aggregate(key, { ...input, offset: 2, limit: 10 });
    expect(rest.series.map((s) => [s.key, s.changePercent])).toEqual([
      ['d', 0],
      ['b', 50],
      ['e', null], // no previous total: last in either direction
    ]);
    const biggest = await aggregate(key, { ...input, orderBy: 'TOTAL', order: 'DESC', limit: 1 });
    expect(biggest.series.map((s) => [s.key, s.total])).toEqual([['b', 3]]);
  });

  it('PROFILE and EVENT_PROPERTY breakdowns', async () => {
    const key = await newProject();
    await track(key, [
      { at: '2026-03-02T10:00:00Z', profileId: 'jane', properties: { feature: 'export' } },
      { at: '2026-03-02T11:00:00Z', profileId: 'jane', properties: { feature: 'search' } },
      { at: '2026-03-02T12:00:00Z', profileId: 'joe', properties: { feature: 'export' } },
      { at: '2026-03-02T13:00:00Z', properties: { feature: 42 } },
      { at: '2026-03-02T14:00:00Z' },
    ]);
    await t.ok(
      'mutation { identify(input: { profileId: "jane", firstName: "Jane", lastName: "Doe" }) { id } }',
      {},
      key,
    );
    const byProfile = await aggregate(key, { metric: 'EVENTS', ...range, breakdown: 'PROFILE' });
    expect(byProfile.series.map((s) => [s.key, s.label, s.total])).toEqual([
      ['jane', 'Jane Doe', 2],
      [null, '(anonymous)', 2],
      ['joe', 'joe', 1],
    ]);
    const byFeature = await aggregate(key, {
      metric: 'UNIQUE_PROFILES',
      ...range,
      breakdown: 'EVENT_PROPERTY',
      breakdownProperty: 'feature',
    });
    expect(byFeature.series.map((s) => [s.key, s.total])).toEqual([
      ['export', 2],
      ['search', 1],
    ]);
    const missing = await t.gql(
      EventAggregationDocument,
      { input: { metric: 'EVENTS', breakdown: 'EVENT_PROPERTY' } },
      key,
    );
    expect(missing.errors?.[0]?.extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'input.breakdownProperty',
    });
  });

  it('a deleted group keeps its events in its series, labelled by id, and fails group conditions', async () => {
    const key = await fixture();
    await t.ok('mutation { deleteGroup(id: "acme") }', {}, key);
    const byGroup = await aggregate(key, { metric: 'EVENTS', ...range, breakdown: 'GROUP' });
    expect(byGroup.series.find((s) => s.key === 'acme')).toMatchObject({ label: 'acme', total: 2 });
    const companies = await aggregate(key, { metric: 'UNIQUE_GROUPS', ...range, filter: { groupType: 'company' } });
    expect(companies.series[0]!.total).toBe(1);
  });
});

describe('bounds', () => {
  const bad: [string, Partial<EventAggregationInput>, string][] = [
    [
      'HOUR over 401 days',
      { interval: 'HOUR', from: '2025-01-01T00:00:00Z', to: '2026-02-05T00:00:00Z' },
      'input.interval',
    ],
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, 'input.timezone'],
    [
      'GT with a boolean',
      { filter: { properties: [{ key: 'n', op: 'GT', value: true }] } },
      'input.filter.properties[0].value',
    ],
    [
      'IN without a list',
      { filter: { groupProperties: [{ key: 'plan', op: 'IN', value: 'pro' }] } },
      'input.filter.groupProperties[0].value',
    ],
    ['GROUP_PROPERTY without a property', { breakdown: 'GROUP_PROPERTY' }, 'input.breakdownProperty'],
    ['rollingDays with HOUR', { interval: 'HOUR', rollingDays: 7 }, 'input.rollingDays'],
    ['limit 0', { limit: 0 }, 'input.limit'],
    ['to before from', { from: '2026-03-05T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'input.to'],
  ];
  it.each(bad)('%s is VALIDATION_FAILED naming the field', async (_name, change, field) => {
    const result = await t.gql(EventAggregationDocument, {
      input: { metric: 'EVENTS', from: '2026-03-01T00:00:00Z', to: '2026-03-05T00:00:00Z', ...change },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });

  it('a read key may aggregate, a write key may not; another project sees none of the data', async () => {
    const key = await newProject();
    await upsertGroup(key, 'org_secret', 'company', 'Secret Inc');
    await track(key, [{ at: '2026-03-02T10:00:00Z', groups: ['org_secret'] }]);
    const input: EventAggregationInput = {
      metric: 'EVENTS',
      from: '2026-03-01T00:00:00Z',
      to: '2026-03-05T00:00:00Z',
      breakdown: 'GROUP',
    };
    const read = await t.gql(EventAggregationDocument, { input }, await t.createKey('read', key.projectId));
    expect(read.data?.eventAggregation.series[0]).toMatchObject({ key: 'org_secret', label: 'Secret Inc', total: 1 });
    const write = await t.gql(EventAggregationDocument, { input }, await t.createKey('write', key.projectId));
    expect(write.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await t.gql(
      EventAggregationDocument,
      { input: { ...input, filter: { groupIds: ['org_secret'] } } },
      await newProject(),
    );
    expect(other.data?.eventAggregation).toMatchObject({ total: 0, series: [] });
    expect(JSON.stringify(other)).not.toContain('Secret');
  });
});

describe('group overview', () => {
  it('Group.activity: events and unique profiles of the group per bucket', async () => {
    const key = await newProject();
    await upsertGroup(key, 'acme', 'company', 'Acme');
    await track(key, [
      { at: '2026-03-02T09:00:00Z', groups: ['acme'], profileId: 'u1' },
      { at: '2026-03-02T10:00:00Z', groups: ['acme'], profileId: 'u1' },
      { at: '2026-03-02T11:00:00Z', groups: ['acme', 'other'], profileId: 'u2' },
      { at: '2026-03-04T23:30:00Z', groups: ['acme'], profileId: 'u3' }, // 5 March in Berlin
      { at: '2026-03-03T10:00:00Z', groups: ['other'], profileId: 'u4' },
    ]);
    const result = await t.ok(
      `{ group(id: "acme") { activity(from: "2026-03-01T23:00:00Z", to: "2026-03-05T23:00:00Z", timezone: "Europe/Berlin") { bucket events uniqueProfiles } } }`,
      {},
      key,
    );
    expect(result.group.activity).toEqual([
      { bucket: '2026-03-01T23:00:00.000Z', events: 3, uniqueProfiles: 2 },
      { bucket: '2026-03-02T23:00:00.000Z', events: 0, uniqueProfiles: 0 },
      { bucket: '2026-03-03T23:00:00.000Z', events: 0, uniqueProfiles: 0 },
      { bucket: '2026-03-04T23:00:00.000Z', events: 1, uniqueProfiles: 1 },
    ]);
  });

  it('Group.memberGrowth: members at the end of each bucket from joins, departures and re-joins', async () => {
    const key = await newProject();
    const projectId = key.projectId;
    await upsertGroup(key, 'acme', 'company', 'Acme');
    const prisma = t.db.prisma;
    for (const id of ['u1', 'u2', 'u3']) await prisma.profile.create({ data: { projectId, id } });
    const at = (s: string) => new Date(s);
    await prisma.groupMembership.createMany({
      data: [
        { projectId, profileId: 'u1', groupId: 'acme', joinedAt: at('2026-02-20T00:00:00Z') },
        {
          projectId,
          profileId: 'u2',
          groupId: 'acme',
          joinedAt: at('2026-03-02T10:00:00Z'),
          leftAt: at('2026-03-03T12:00:00Z'),
        },
        { projectId, profileId: 'u3', groupId: 'acme', joinedAt: at('2026-03-03T05:00:00Z') },
        { projectId, profileId: 'u2', groupId: 'acme', joinedAt: at('2026-03-04T08:00:00Z') },
        { projectId, profileId: 'u1', groupId: 'other', joinedAt: at('2026-03-02T00:00:00Z') },
      ],
    });
    const result = await t.ok(
      `{ group(id: "acme") { memberGrowth(from: "2026-03-01T00:00:00Z", to: "2026-03-05T00:00:00Z") { bucket members joined left } } }`,
      {},
      key,
    );
    expect(result.group.memberGrowth).toEqual([
      { bucket: '2026-03-01T00:00:00.000Z', members: 1, joined: 0, left: 0 },
      { bucket: '2026-03-02T00:00:00.000Z', members: 2, joined: 1, left: 0 },
      { bucket: '2026-03-03T00:00:00.000Z', members: 2, joined: 1, left: 1 },
      { bucket: '2026-03-04T00:00:00.000Z', members: 3, joined: 1, left: 0 },
    ]);
  });

  it('the overview fields validate their arguments', async () => {
    const key = await newProject();
    await upsertGroup(key, uniqueId('g'), 'company', 'G');
    const id = (await t.db.prisma.group.findFirstOrThrow({ where: { projectId: key.projectId } })).id;
    const result = await t.gql(`{ group(id: "${id}") { activity(timezone: "Nowhere/Land") { bucket } } }`, {}, key);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'timezone' });
    const growth = await t.gql(
      `{ group(id: "${id}") { memberGrowth(interval: HOUR, from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { bucket } } }`,
      {},
      key,
    );
    expect(growth.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'interval' });
  });
});
