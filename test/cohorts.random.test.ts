import { beforeAll, describe, expect, it } from 'vitest';

import type { PropertyFilter } from '../src/services/analysis/filter.ts';
import type { CohortInput, CohortRuleInput } from '../src/services/cohorts/definition.ts';
import { DAY_MS, HOUR_MS } from '../src/time.ts';
import { useTestApp } from './helpers/app.ts';
import { compareText } from './reference/analysis.ts';
import { cohortMembers } from './reference/cohorts.ts';
import { chance, pick, random, type Rng } from './reference/randomWorld.ts';

// Random cohorts (property ops, performed with min/max counts and event
// property filters, member counts, negate, ALL/ANY; groups of either type and
// profiles) over random data, against a reference computed in memory: size,
// every page of members, and `EventFilter.cohortId` on events and on every
// storage path of eventAggregation must all agree with it.
const t = useTestApp();

const NAMES = ['report_exported', 'page_view', 'login'];
const PLANS = ['free', 'pro', 'enterprise'];
const TYPES = ['company', 'team'];

interface Unit {
  id: string;
  type: string | null;
  properties: Record<string, unknown>;
}
interface RefEvent {
  name: string;
  profileId: string | null;
  groupIds: string[];
  properties: Record<string, unknown>;
  createdAt: number;
}

const CREATE = `mutation($input: CohortInput!) { createCohort(input: $input) { id size } }`;
const MEMBERS = `query($id: ID!, $first: Int, $after: String) { cohort(id: $id) { size
  members(first: $first, after: $after) { edges { node { id group { id } profile { id } } } pageInfo { hasNextPage endCursor } } } }`;
const AGGREGATE = `query($input: EventAggregationInput!) { eventAggregation(input: $input) { series { key total } } }`;

describe('cohorts against an in-memory reference', () => {
  let key: Awaited<ReturnType<typeof t.createKey>>;
  const rng = random(15);
  // Events lie whole days plus 1–23 hours before `now`, so a window of whole days
  // never ends within minutes of one, however long the test runs.
  const now = Date.now();
  const groups: Unit[] = [];
  const profiles: Unit[] = [];
  const events: RefEvent[] = [];
  const members = new Map<string, number>();

  beforeAll(async () => {
    key = await t.createKey('root');
    const projectId = key.projectId;
    const props = (r: Rng) => {
      const p: Record<string, unknown> = {};
      if (chance(r, 0.8)) p.plan = pick(r, PLANS);
      if (chance(r, 0.6)) p.seats = Math.floor(r() * 40);
      if (chance(r, 0.3)) p.tags = [pick(r, ['beta', 'eu', 'vip'])];
      return p;
    };
    for (let i = 0; i < 30; i++) groups.push({ id: `g${i}`, type: pick(rng, TYPES), properties: props(rng) });
    for (let i = 0; i < 25; i++) profiles.push({ id: `u${i}`, type: null, properties: props(rng) });
    await t.db.prisma.group.createMany({
      data: groups.map((g) => ({ projectId, id: g.id, type: g.type, properties: g.properties as object })),
    });
    await t.db.prisma.profile.createMany({
      data: profiles.map((p) => ({ projectId, id: p.id, properties: p.properties as object })),
    });
    for (let i = 0; i < 500; i++) {
      const groupIds = chance(rng, 0.1)
        ? []
        : [...new Set([pick(rng, groups).id, ...(chance(rng, 0.3) ? [pick(rng, groups).id] : [])])];
      // A few events name a group nobody created: a placeholder, member of no cohort.
      if (chance(rng, 0.03)) groupIds.push('ghost');
      const properties: Record<string, unknown> = {};
      if (chance(rng, 0.6)) properties.format = pick(rng, ['pdf', 'csv']);
      if (chance(rng, 0.4)) properties.rows = Math.floor(rng() * 100);
      events.push({
        name: pick(rng, NAMES),
        profileId: chance(rng, 0.9) ? pick(rng, profiles).id : null,
        groupIds,
        properties,
        createdAt: now - Math.floor(rng() * 40) * DAY_MS - (1 + Math.floor(rng() * 22)) * HOUR_MS - 1234,
      });
    }
    const result = await t.ok(
      `mutation($events: [TrackInput!]!) { trackBatch(events: $events) { accepted } }`,
      {
        events: events.map((e) => ({
          name: e.name,
          profileId: e.profileId,
          groups: e.groupIds,
          properties: e.properties,
          timestamp: new Date(e.createdAt).toISOString(),
          inheritProfileGroups: false,
        })),
      },
      key,
    );
    expect(result.trackBatch.accepted).toBe(events.length);
    const memberships = [];
    const current = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const groupId = pick(rng, groups).id;
      const profileId = pick(rng, profiles).id;
      // At most one current membership per profile and group (a unique index says so).
      const former = chance(rng, 0.25) || current.has(`${profileId}/${groupId}`);
      memberships.push({ projectId, profileId, groupId, leftAt: former ? new Date() : null });
      if (!former) {
        current.add(`${profileId}/${groupId}`);
        members.set(groupId, (members.get(groupId) ?? 0) + 1);
      }
    }
    await t.db.prisma.groupMembership.createMany({ data: memberships });
  });

  function randomProperty(r: Rng): PropertyFilter {
    return pick(r, [
      { key: 'plan', op: 'EQ', value: pick(r, PLANS) },
      { key: 'plan', op: 'NEQ', value: pick(r, PLANS) },
      { key: 'plan', op: 'IN', value: ['pro', 'enterprise'] },
      { key: 'seats', op: pick(r, ['GT', 'GTE', 'LT', 'LTE']), value: Math.floor(r() * 40) },
      { key: 'seats', op: 'EXISTS', value: chance(r, 0.5) },
      { key: 'tags', op: 'CONTAINS', value: pick(r, ['beta', 'vip']) },
      { key: 'plan', op: 'CONTAINS', value: 'PR' },
    ] as PropertyFilter[]);
  }

  function randomRule(r: Rng, unit: 'GROUP' | 'PROFILE'): CohortRuleInput {
    const negate = chance(r, 0.3);
    const kind = pick(
      r,
      unit === 'GROUP' ? ['property', 'performed', 'performed', 'memberCount'] : ['property', 'performed'],
    );
    if (kind === 'property') return { property: randomProperty(r), negate };
    if (kind === 'memberCount') {
      const min = chance(r, 0.7) ? Math.floor(r() * 3) : null;
      return { memberCount: { min, max: chance(r, 0.5) ? (min ?? 0) + Math.floor(r() * 3) : null }, negate };
    }
    const minCount = chance(r, 0.2) ? 0 : 1 + Math.floor(r() * 4);
    const eventProperties: PropertyFilter[] = [];
    if (chance(r, 0.3)) eventProperties.push({ key: 'format', op: 'EQ', value: pick(r, ['pdf', 'csv']) });
    if (chance(r, 0.2)) eventProperties.push({ key: 'rows', op: 'GTE', value: Math.floor(r() * 100) });
    return {
      performed: {
        eventName: pick(r, NAMES),
        lastDays: 1 + Math.floor(r() * 45),
        minCount,
        maxCount: chance(r, 0.4) ? minCount + Math.floor(r() * 5) : null,
        properties: eventProperties,
      },
      negate,
    };
  }

  function randomCohort(r: Rng): CohortInput {
    const unit = chance(r, 0.6) ? 'GROUP' : 'PROFILE';
    return {
      name: 'random',
      unit,
      groupType: unit === 'GROUP' ? pick(r, TYPES) : null,
      match: pick(r, ['ALL', 'ANY'] as const),
      rules: Array.from({ length: 1 + Math.floor(r() * 4) }, () => randomRule(r, unit)),
    };
  }

  /** The reference: member ids in byte order. */
  const expectedMembers = (c: CohortInput): string[] => cohortMembers({ groups, profiles, events, members, now }, c);

  it('size, members and cohortId filters equal the reference for random cohorts', async () => {
    const r = random(1502);
    const from = new Date(now - 50 * DAY_MS).toISOString();
    const to = new Date(now + HOUR_MS).toISOString();
    let nonEmpty = 0;
    for (let round = 0; round < 30; round++) {
      const input = randomCohort(r);
      const want = expectedMembers(input);
      if (want.length > 0) nonEmpty++;
      const created = (await t.ok(CREATE, { input }, key)).createCohort;
      const label = JSON.stringify(input);
      expect(created.size, label).toBe(want.length);

      const got: string[] = [];
      let after: string | null = null;
      const first = 1 + Math.floor(r() * 6);
      for (;;) {
        const data: any = await t.ok(MEMBERS, { id: created.id, first, after }, key);
        for (const e of data.cohort.members.edges) {
          got.push(e.node.id);
          expect(input.unit === 'GROUP' ? e.node.group?.id : e.node.profile?.id).toBe(e.node.id);
        }
        if (!data.cohort.members.pageInfo.hasNextPage) break;
        after = data.cohort.members.pageInfo.endCursor;
      }
      expect(got, label).toEqual(want);

      // The events of members, asked through each storage path of eventAggregation.
      const inCohort = new Set(want);
      const ofMember = (e: RefEvent) =>
        input.unit === 'GROUP'
          ? e.groupIds.some((g) => inCohort.has(g))
          : e.profileId !== null && inCohort.has(e.profileId);
      const extras: [Record<string, unknown>, (e: RefEvent) => boolean][] = [
        [{}, () => true],
        [{ eventNames: ['login'] }, (e) => e.name === 'login'],
        [{ properties: [{ key: 'format', op: 'EQ', value: 'pdf' }] }, (e) => e.properties.format === 'pdf'],
        [{ groupIds: ['g1', 'g2', 'g3'] }, (e) => e.groupIds.some((g) => ['g1', 'g2', 'g3'].includes(g))],
      ];
      for (const [extra, keep] of extras) {
        const filter = { ...extra, cohortId: created.id };
        const total = (await t.ok(AGGREGATE, { input: { metric: 'EVENTS', from, to, filter } }, key)).eventAggregation
          .series;
        const count = events.filter((e) => ofMember(e) && keep(e)).length;
        expect(total[0]?.total ?? 0, `${label} ${JSON.stringify(extra)}`).toBe(count);
      }
      if (input.unit === 'GROUP') {
        // Group series are the member groups only.
        const series = (
          await t.ok(
            AGGREGATE,
            { input: { metric: 'EVENTS', from, to, breakdown: 'GROUP', limit: 100, filter: { cohortId: created.id } } },
            key,
          )
        ).eventAggregation.series;
        const expected = want
          .map((id) => ({ key: id, total: events.filter((e) => e.groupIds.includes(id)).length }))
          .filter((s) => s.total > 0);
        const byKey = (a: { key: string }, b: { key: string }) => compareText(a.key, b.key);
        expect([...series].sort(byKey), label).toEqual(expected.sort(byKey));
      }
    }
    // The random cohorts were not all trivially empty.
    expect(nonEmpty).toBeGreaterThan(10);
  }, 300_000);
});
