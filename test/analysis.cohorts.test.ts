import { beforeAll, describe, expect, it } from 'vitest';

import { insertEvents, type EventRow } from '../src/services/ingest.ts';
import {
  CreateCohortDocument,
  FunnelDocument,
  FunnelStepUnitsDocument,
  LifecycleDocument,
  RetentionDocument,
  StickinessDocument,
  type CohortInput,
  type FunnelInput,
} from '../src/sdk/index.ts';
import type { CreatedKey } from '../src/services/keys.ts';
import { DAY_MS, HOUR_MS } from '../src/time.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';

// `cohortId` of the four account analyses keeps units, where `filter.cohortId`
// keeps events: an event tagged with a member and a non-member company counts
// for the member only. Both storage paths of the bucketed analyses, funnel
// units, a cohort that fits neither the unit nor the group type, another
// project's cohort and an empty one.

const t = useTestApp();

const T0 = Date.parse('2026-03-02T00:00:00Z'); // a Monday
const at = (ms: number) => new Date(ms).toISOString();
const range = { from: at(T0), to: at(T0 + 7 * DAY_MS) };
const steps = (...names: string[]) => names.map((name) => ({ name }));

let key: CreatedKey;
const cohorts: Record<string, string> = {};

async function createCohort(input: CohortInput, k = key): Promise<string> {
  return (await t.ok(CreateCohortDocument, { input }, k)).createCohort.id;
}

beforeAll(async () => {
  key = await t.createKey('root');
  const groups = [
    { id: 'acme', type: 'company', properties: { plan: 'pro' } },
    { id: 'bolt', type: 'company', properties: { plan: 'free' } },
    { id: 'cove', type: 'company', properties: { plan: 'pro' } },
    { id: 'dune', type: 'company', properties: { plan: 'free' } },
    { id: 'team1', type: 'team', properties: { plan: 'pro' } },
  ];
  for (const g of groups) {
    await t.ok('mutation($input: UpsertGroupInput!) { upsertGroup(input: $input) { id } }', { input: g }, key);
  }
  // acme and bolt share every event (a then b); cove and dune only do a.
  // Profiles: p-pro (marked pro) and p-free.
  const events: { name: string; profileId: string | null; groups: string[]; at: number }[] = [
    { name: 'a', profileId: 'p-pro', groups: ['acme', 'bolt', 'team1'], at: T0 + HOUR_MS },
    { name: 'b', profileId: 'p-pro', groups: ['acme', 'bolt', 'team1'], at: T0 + 2 * HOUR_MS },
    { name: 'a', profileId: 'p-free', groups: ['cove'], at: T0 + 3 * HOUR_MS },
    { name: 'a', profileId: 'p-free', groups: ['dune'], at: T0 + 4 * HOUR_MS },
    // Activity on a second day for acme, bolt and p-pro (stickiness counts 2 days for them).
    { name: 'c', profileId: 'p-pro', groups: ['acme', 'bolt'], at: T0 + DAY_MS + HOUR_MS },
  ];
  const rows: EventRow[] = events.map((e) => ({
    id: uniqueId('e'),
    name: e.name,
    profileId: e.profileId,
    deviceId: null,
    sessionId: null,
    groups: e.groups,
    properties: {},
    createdAt: at(e.at),
    inherit: false,
  }));
  await insertEvents(t.db.prisma, key.projectId, rows);
  await t.ok(
    'mutation { a: identify(input: { profileId: "p-pro", properties: { tier: "pro" } }) { id } b: identify(input: { profileId: "p-free", properties: { tier: "free" } }) { id } }',
    {},
    key,
  );
  const pro = { property: { key: 'plan', op: 'EQ', value: 'pro' } } as const;
  cohorts.proCompanies = await createCohort({ name: 'pro', unit: 'GROUP', groupType: 'company', rules: [pro] });
  cohorts.proTeams = await createCohort({ name: 'pro teams', unit: 'GROUP', groupType: 'team', rules: [pro] });
  cohorts.proProfiles = await createCohort({
    name: 'pro people',
    unit: 'PROFILE',
    rules: [{ property: { key: 'tier', op: 'EQ', value: 'pro' } }],
  });
  cohorts.noCompany = await createCohort({
    name: 'nobody',
    unit: 'GROUP',
    groupType: 'company',
    rules: [{ property: { key: 'plan', op: 'EQ', value: 'platinum' } }],
  });
});

const company = { unit: 'GROUP' as const, groupType: 'company' };

async function funnelCounts(input: FunnelInput): Promise<number[]> {
  return (await t.ok(FunnelDocument, { input }, key)).funnel.steps.map((s) => s.count);
}

describe('cohortId keeps units', () => {
  it('a funnel counts the member company of a shared event, not its non-member neighbour', async () => {
    const base = { steps: steps('a', 'b'), ...range, ...company };
    expect(await funnelCounts(base)).toEqual([4, 2]);
    expect(await funnelCounts({ ...base, cohortId: cohorts.proCompanies })).toEqual([2, 1]);
    // filter.cohortId keeps events tagged with a member: bolt's events are acme's too.
    expect(await funnelCounts({ ...base, filter: { cohortId: cohorts.proCompanies } })).toEqual([3, 2]);
  });

  it('units(dropped:) of a funnel lists only members', async () => {
    const input = { steps: steps('a', 'b'), ...range, ...company };
    const ids = async (extra: Partial<FunnelInput>, dropped: boolean) =>
      (await t.ok(FunnelStepUnitsDocument, { input: { ...input, ...extra }, dropped }, key)).funnel.steps.map((s) =>
        s.units.edges.map((e) => e.node.id),
      );
    expect(await ids({}, true)).toEqual([['cove', 'dune'], []]);
    expect(await ids({ cohortId: cohorts.proCompanies }, true)).toEqual([['cove'], []]);
    expect(await ids({ cohortId: cohorts.proCompanies }, false)).toEqual([['acme', 'cove'], ['acme']]);
  });

  it('a profile funnel keeps member profiles', async () => {
    const base = { steps: steps('a', 'b'), ...range };
    expect(await funnelCounts(base)).toEqual([2, 1]);
    expect(await funnelCounts({ ...base, cohortId: cohorts.proProfiles })).toEqual([1, 1]);
  });

  // Stickiness over whole UTC days of any event reads the daily activity rows;
  // with eventNames it reads the events. Both must keep the same units.
  it.each([
    ['the daily activity rows', {}, true],
    ['the events', { eventNames: ['a', 'b', 'c'] }, false],
  ])('stickiness and lifecycle from %s', async (_label, extra, activity) => {
    const input = { ...range, ...company, interval: 'DAY' as const, ...extra };
    t.statements.length = 0;
    const all = (await t.ok(StickinessDocument, { input }, key)).stickiness;
    expect(t.statements.some((s) => s.includes('ActivityDay'))).toBe(activity);
    expect(all.counts.slice(0, 2)).toEqual([2, 2]);
    const kept = (await t.ok(StickinessDocument, { input: { ...input, cohortId: cohorts.proCompanies } }, key))
      .stickiness;
    expect(kept.counts.slice(0, 2)).toEqual([1, 1]);

    const lifecycle = async (cohortId?: string) =>
      (await t.ok(LifecycleDocument, { input: { ...input, cohortId } }, key)).lifecycle.buckets
        .slice(0, 3)
        .map((b) => [b.new, b.returning, b.dormant]);
    expect(await lifecycle()).toEqual([
      [4, 0, 0],
      [0, 2, 2],
      [0, 0, 2],
    ]);
    expect(await lifecycle(cohorts.proCompanies)).toEqual([
      [2, 0, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  it.each([
    ['the daily activity rows', {}],
    ['the events', { startEvent: 'a' }],
  ])('retention from %s', async (_label, extra) => {
    const input = { ...range, ...company, interval: 'DAY' as const, periods: 1, ...extra };
    const sizes = async (cohortId?: string) =>
      (await t.ok(RetentionDocument, { input: { ...input, cohortId } }, key)).retention.cohorts[0]!.values;
    expect(await sizes()).toEqual([4, 2]);
    expect(await sizes(cohorts.proCompanies)).toEqual([2, 1]);
  });

  it('an empty cohort counts nothing in any analysis', async () => {
    const cohortId = cohorts.noCompany;
    expect(await funnelCounts({ steps: steps('a', 'b'), ...range, ...company, cohortId })).toEqual([0, 0]);
    const bucketed = { ...range, ...company, interval: 'DAY' as const, cohortId };
    const stickiness = (await t.ok(StickinessDocument, { input: bucketed }, key)).stickiness;
    expect(stickiness.counts.every((c) => c === 0)).toBe(true);
    const lifecycle = (await t.ok(LifecycleDocument, { input: bucketed }, key)).lifecycle;
    expect(lifecycle.buckets.every((b) => b.new + b.returning + b.resurrecting + b.dormant === 0)).toBe(true);
    const retention = (await t.ok(RetentionDocument, { input: bucketed }, key)).retention;
    expect(retention.cohorts.every((c) => c.size === 0)).toBe(true);
  });

  it('costs the statements of the same question without a cohort', async () => {
    const base = { steps: steps('a', 'b'), ...range, ...company };
    const count = async (input: FunnelInput) => {
      await funnelCounts(input); // warm: the key's first use may read it
      t.statements.length = 0;
      await funnelCounts(input);
      return t.statements.length;
    };
    const without = await count(base);
    // One more statement: loading the cohort's definition.
    expect(await count({ ...base, cohortId: cohorts.proCompanies })).toBe(without + 1);
  });
});

describe('filter.cohortId in the analyses', () => {
  // The events of member profiles (p-pro's: acme and bolt on both days), on a
  // question that would otherwise read the daily activity rows.
  it('keeps events of member profiles in stickiness', async () => {
    const input = { ...range, ...company, interval: 'DAY' as const };
    const counts = (
      await t.ok(StickinessDocument, { input: { ...input, filter: { cohortId: cohorts.proProfiles } } }, key)
    ).stickiness.counts;
    expect(counts.slice(0, 2)).toEqual([0, 2]);
  });
});

describe('a cohort that does not fit is refused', () => {
  const funnel = { steps: steps('a', 'b'), ...range };
  const cases: [string, () => [unknown, object]][] = [
    ['a profile cohort for groups', () => [FunnelDocument, { ...funnel, ...company, cohortId: cohorts.proProfiles }]],
    [
      'a cohort of teams for companies',
      () => [RetentionDocument, { ...range, ...company, cohortId: cohorts.proTeams }],
    ],
    ['a group cohort for profiles', () => [LifecycleDocument, { ...range, cohortId: cohorts.proCompanies }]],
    ['an id that is no cohort', () => [StickinessDocument, { ...range, cohortId: 'no-such-cohort' }]],
    ['an empty id', () => [FunnelDocument, { ...funnel, cohortId: '' }]],
  ];
  it.each(cases)('%s: VALIDATION_FAILED on input.cohortId', async (_label, make) => {
    const [document, input] = make();
    const result = await t.gql(document as typeof FunnelDocument, { input: input as FunnelInput }, key);
    expect(result.status).toBe(200);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions, JSON.stringify(result.errors)).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'input.cohortId',
    });
  });

  it("another project's cohort is refused as unknown, and reveals nothing", async () => {
    const other = await t.createKey('root');
    const theirs = await createCohort(
      { name: 'theirs', unit: 'GROUP', groupType: 'company', rules: [{ property: { key: 'plan', op: 'EXISTS' } }] },
      other,
    );
    for (const [document, input] of [
      [FunnelDocument, { ...funnel, ...company, cohortId: theirs }],
      [RetentionDocument, { ...range, ...company, cohortId: theirs }],
      [LifecycleDocument, { ...range, ...company, cohortId: theirs }],
      [StickinessDocument, { ...range, ...company, cohortId: theirs }],
    ] as const) {
      const result = await t.gql(document as typeof FunnelDocument, { input: input as FunnelInput }, key);
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'input.cohortId' });
      // The message says the same as for an id nobody has.
      expect(result.errors?.[0]?.message).toContain('no cohort');
    }
  });
});
