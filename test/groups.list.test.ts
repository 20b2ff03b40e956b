import { beforeAll, describe, expect, it } from 'vitest';

import type { PropertyFilter } from '../src/services/analysis/filter.ts';
import type { GroupFilter, GroupOrder } from '../src/services/groupList.ts';
import { DAY_MS, HOUR_MS } from '../src/time.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';
import { compareText, propertyMatches } from './reference/analysis.ts';
import { chance, pick, random, type Rng } from './reference/randomWorld.ts';

// The `groups` list under random filters and orders, paged with random page
// sizes to the end, against a reference computed in memory from the rows this
// test wrote. Ties (equal names, creation times, member counts, activity) and
// missing values (no name, never active) are frequent on purpose, so keyset
// pages must stay stable. A page costs a constant number of statements.
const t = useTestApp();

const LIST = `query($type: String, $search: String, $filter: GroupFilter, $orderBy: GroupOrder, $cohortId: ID, $first: Int, $after: String, $last: Int, $before: String) {
  groups(type: $type, search: $search, filter: $filter, orderBy: $orderBy, cohortId: $cohortId, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

interface RefGroup {
  id: string;
  type: string | null;
  name: string | null;
  properties: Record<string, unknown>;
  createdAt: number;
  lastActiveAt: number | null;
  memberCount: number;
}

const PLANS = ['free', 'pro', 'enterprise'];
const BASE = Date.parse('2026-06-01T00:00:00Z');

describe('groups: filters, orders, keyset pages', () => {
  let key: Awaited<ReturnType<typeof t.createKey>>;
  const world: RefGroup[] = [];
  let cohortId: string;
  const rng = random(20261202);

  beforeAll(async () => {
    key = await t.createKey('root');
    const projectId = key.projectId;
    // Groups, with creation times from a small set so that many tie.
    for (let i = 0; i < 60; i++) {
      const placeholder = chance(rng, 0.1);
      const props: Record<string, unknown> = {};
      if (chance(rng, 0.8)) props.plan = pick(rng, PLANS);
      if (chance(rng, 0.6)) props.seats = Math.floor(rng() * 50);
      world.push({
        id: `g${String(Math.floor(rng() * 1000)).padStart(3, '0')}_${i}`,
        type: placeholder ? null : pick(rng, ['company', 'company', 'workspace']),
        name:
          placeholder || chance(rng, 0.15) ? null : pick(rng, ['Acme', 'Globex', 'Initech', 'acme', 'Zeta', 'Äpfel']),
        properties: placeholder ? {} : props,
        createdAt: BASE + Math.floor(rng() * 6) * DAY_MS,
        lastActiveAt: null,
        memberCount: 0,
      });
    }
    await t.db.prisma.group.createMany({
      data: world.map((g) => ({
        projectId,
        id: g.id,
        type: g.type,
        name: g.name,
        properties: g.properties as object,
        createdAt: new Date(g.createdAt),
      })),
    });
    // Events at a few instants (ties again); some groups never active.
    const events = [];
    for (let i = 0; i < 150; i++) {
      const groups = [...new Set([pick(rng, world).id, ...(chance(rng, 0.3) ? [pick(rng, world).id] : [])])];
      const at = BASE + Math.floor(rng() * 20) * HOUR_MS;
      events.push({ name: 'x', groups, timestamp: new Date(at).toISOString(), inheritProfileGroups: false });
      for (const id of groups) {
        const g = world.find((w) => w.id === id)!;
        g.lastActiveAt = Math.max(g.lastActiveAt ?? 0, at);
      }
    }
    const batch = await t.ok(
      `mutation($events: [TrackInput!]!) { trackBatch(events: $events) { accepted } }`,
      { events },
      key,
    );
    expect(batch.trackBatch.accepted).toBe(events.length);
    // Memberships, current and former, written as rows (setGroups would also record events).
    const memberships = [];
    for (let p = 0; p < 80; p++) {
      const g = pick(rng, world);
      const former = chance(rng, 0.3);
      memberships.push({ projectId, profileId: `u${p}`, groupId: g.id, leftAt: former ? new Date(BASE) : null });
      if (!former) g.memberCount++;
    }
    await t.db.prisma.profile.createMany({ data: memberships.map((m) => ({ projectId, id: m.profileId })) });
    await t.db.prisma.groupMembership.createMany({ data: memberships });
    const cohort = await t.ok(
      `mutation($input: CohortInput!) { createCohort(input: $input) { id } }`,
      {
        input: {
          name: 'pro companies',
          unit: 'GROUP',
          groupType: 'company',
          rules: [{ property: { key: 'plan', op: 'EQ', value: 'pro' } }],
        },
      },
      key,
    );
    cohortId = cohort.createCohort.id;
  });

  function sortKey(g: RefGroup, order: GroupOrder): string | number | null {
    switch (order.field) {
      case 'NAME':
        return g.name;
      case 'CREATED_AT':
        return g.createdAt;
      case 'LAST_ACTIVE_AT':
        return g.lastActiveAt;
      case 'MEMBER_COUNT':
        return g.memberCount;
    }
  }

  function expected(args: {
    type?: string;
    search?: string;
    filter: GroupFilter;
    orderBy: GroupOrder;
    cohort: boolean;
  }): string[] {
    const f = args.filter;
    const matches = world.filter((g) => {
      if (args.type != null && g.type !== args.type) return false;
      if (args.search && ![g.id, g.name ?? ''].some((s) => s.toLowerCase().includes(args.search!.toLowerCase())))
        return false;
      if (args.cohort && !(g.type === 'company' && g.properties.plan === 'pro')) return false;
      if (!(f.properties ?? []).every((p) => propertyMatches(g.properties, p))) return false;
      if (f.createdBefore && !(g.createdAt < f.createdBefore.getTime())) return false;
      if (f.createdAfter && !(g.createdAt >= f.createdAfter.getTime())) return false;
      if (f.lastActiveBefore && !(g.lastActiveAt !== null && g.lastActiveAt < f.lastActiveBefore.getTime()))
        return false;
      if (f.lastActiveAfter && !(g.lastActiveAt !== null && g.lastActiveAt >= f.lastActiveAfter.getTime()))
        return false;
      if (f.memberCount?.min != null && g.memberCount < f.memberCount.min) return false;
      if (f.memberCount?.max != null && g.memberCount > f.memberCount.max) return false;
      const placeholder = g.type === null && g.name === null;
      if (f.placeholder != null && placeholder !== f.placeholder) return false;
      return true;
    });
    const sign = (args.orderBy.direction ?? 'DESC') === 'DESC' ? -1 : 1;
    return matches
      .sort((a, b) => {
        const ka = sortKey(a, args.orderBy);
        const kb = sortKey(b, args.orderBy);
        if (ka === null || kb === null) {
          if (ka !== kb) return ka === null ? 1 : -1;
        } else if (ka !== kb) {
          return sign * (typeof ka === 'string' ? compareText(ka, kb as string) : ka - (kb as number));
        }
        return sign * compareText(a.id, b.id);
      })
      .map((g) => g.id);
  }

  function randomFilter(r: Rng): GroupFilter {
    const f: GroupFilter = {};
    if (chance(r, 0.3)) {
      const props: PropertyFilter[] = [];
      props.push(
        pick(r, [
          { key: 'plan', op: 'EQ', value: pick(r, PLANS) },
          { key: 'plan', op: 'IN', value: ['pro', 'enterprise'] },
          { key: 'plan', op: 'NEQ', value: 'free' },
          { key: 'seats', op: 'GTE', value: Math.floor(r() * 50) },
          { key: 'seats', op: 'EXISTS', value: chance(r, 0.5) },
        ] as PropertyFilter[]),
      );
      f.properties = props;
    }
    const instant = () => new Date(BASE + Math.floor(r() * 20) * HOUR_MS);
    if (chance(r, 0.25)) f.lastActiveBefore = instant();
    if (chance(r, 0.25)) f.lastActiveAfter = instant();
    if (chance(r, 0.2)) f.createdBefore = new Date(BASE + Math.floor(r() * 7) * DAY_MS);
    if (chance(r, 0.2)) f.createdAfter = new Date(BASE + Math.floor(r() * 7) * DAY_MS);
    if (chance(r, 0.25)) {
      const min = chance(r, 0.7) ? Math.floor(r() * 3) : null;
      f.memberCount = { min, max: chance(r, 0.5) ? (min ?? 0) + Math.floor(r() * 3) : null };
    }
    if (chance(r, 0.15)) f.placeholder = chance(r, 0.5);
    return f;
  }

  async function pageThrough(variables: Record<string, unknown>, first: number): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const data: any = await t.ok(LIST, { ...variables, first, after }, key);
      ids.push(...data.groups.edges.map((e: any) => e.node.id));
      if (!data.groups.pageInfo.hasNextPage) return ids;
      after = data.groups.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  }

  /** Pages back from the end with last/before (what the dashboard's "Previous" does); ids in list order. */
  async function pageBack(variables: Record<string, unknown>, last: number): Promise<string[]> {
    const pages: string[][] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const data: any = await t.ok(LIST, { ...variables, last, before }, key);
      pages.unshift(data.groups.edges.map((e: any) => e.node.id));
      if (!data.groups.pageInfo.hasPreviousPage) return pages.flat();
      before = data.groups.pageInfo.startCursor;
    }
    throw new Error('too many pages');
  }

  it('every random filter and order, paged to the end, equals the reference', async () => {
    const r = random(7);
    for (let round = 0; round < 40; round++) {
      const orderBy: GroupOrder = {
        field: pick(r, ['NAME', 'CREATED_AT', 'LAST_ACTIVE_AT', 'MEMBER_COUNT'] as const),
        direction: pick(r, ['ASC', 'DESC'] as const),
      };
      const type = chance(r, 0.3) ? pick(r, ['company', 'workspace']) : undefined;
      const search = chance(r, 0.15) ? pick(r, ['acme', 'G0', '_1']) : undefined;
      const cohort = chance(r, 0.2) && type !== 'workspace';
      const filter = randomFilter(r);
      const variables = { type, search, filter, orderBy, cohortId: cohort ? cohortId : undefined };
      const want = expected({ type, search, filter, orderBy, cohort });
      const got = await pageThrough(variables, 1 + Math.floor(r() * 7));
      expect(got, JSON.stringify(variables)).toEqual(want);
      if (round % 2 === 0) {
        const back = await pageBack(variables, 1 + Math.floor(r() * 7));
        expect(back, `backward ${JSON.stringify(variables)}`).toEqual(want);
      }
    }
  });

  it('a page costs the same statements at 3 and at 40 groups, under every order', async () => {
    const QUERY = `query($orderBy: GroupOrder, $first: Int, $filter: GroupFilter) {
      groups(orderBy: $orderBy, first: $first, filter: $filter) {
        edges { node { id name memberCount lastActiveAt members(first: 2) { edges { node { id } } } } }
      }
    }`;
    for (const field of ['NAME', 'CREATED_AT', 'LAST_ACTIVE_AT', 'MEMBER_COUNT']) {
      const counts: number[] = [];
      for (const first of [3, 40]) {
        t.statements.length = 0;
        const variables = { orderBy: { field }, first, filter: { memberCount: { min: 0 }, lastActiveAfter: null } };
        const data: any = await t.ok(QUERY, variables, key);
        expect(data.groups.edges.length).toBe(first);
        counts.push(t.statements.length);
      }
      expect(counts[1], field).toBe(counts[0]);
      expect(counts[0]).toBeLessThanOrEqual(8);
    }
  });

  it('refuses a cursor of another order, a cohort of profiles or of another type, and bad ranges', async () => {
    const first = await t.ok(LIST, { orderBy: { field: 'NAME' }, first: 2 }, key);
    const cases: Record<string, unknown>[] = [
      { orderBy: { field: 'MEMBER_COUNT' }, after: first.groups.pageInfo.endCursor },
      { after: 'not-a-cursor' },
      { type: 'workspace', cohortId },
      { cohortId: uniqueId('missing') },
      { filter: { memberCount: { min: 3, max: 1 } } },
      { filter: { memberCount: { min: -1 } } },
      { filter: { properties: [{ key: 'plan', op: 'IN', value: 'pro' }] } },
    ];
    const profiles = await t.ok(
      `mutation($input: CohortInput!) { createCohort(input: $input) { id } }`,
      { input: { name: 'p', unit: 'PROFILE', rules: [{ property: { key: 'x', op: 'EXISTS' } }] } },
      key,
    );
    cases.push({ cohortId: profiles.createCohort.id });
    for (const variables of cases) {
      const result = await t.gql(LIST, { first: 5, ...variables }, key);
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe('VALIDATION_FAILED');
    }
  });
});
