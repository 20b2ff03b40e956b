import { beforeAll, describe, expect, it } from 'vitest';

import type { CreatedKey } from '../src/services/keys.ts';
import { useTestApp } from './helpers/app.ts';
import { rootFields } from './helpers/schema.ts';
import { subscribe } from './helpers/sse.ts';

// Project B's key aimed at project A's ids, through every root field: nothing of
// A is returned and nothing of A changes. A field without a row here fails.
const t = useTestApp();

const A_SECRET = 'a-secret-marker';

/** A range around now, holding the events the seed below tracks. */
const RANGE = `from: "${new Date(Date.now() - 30 * 86_400_000).toISOString()}", to: "${new Date(Date.now() + 86_400_000).toISOString()}"`;
const COHORT_INPUT =
  '{ name: "b", unit: GROUP, groupType: "company", rules: [{ property: { key: "plan", op: EXISTS } }] }';

/** Each call with B's key; `leaks` must never appear in its response. */
const CALLS: Record<string, string> = {
  'Query.group': '{ group(id: "org_a") { id name properties } }',
  'Query.groups': '{ groups(search: "org_a") { edges { node { id name properties } } } }',
  'Query.groupTypes': '{ groupTypes { type groupCount } }',
  'Query.profile': '{ profile(id: "user_a") { id email properties } }',
  'Query.profiles': '{ profiles(groupId: "org_a") { edges { node { id email } } } }',
  'Query.events':
    '{ events(filter: { groupIds: ["org_a"], profileId: "user_a" }) { edges { node { id properties } } } }',
  'Query.eventAggregation':
    '{ eventAggregation(input: { metric: EVENTS, breakdown: GROUP, filter: { groupIds: ["org_a"] } }) { total series { key label total } } }',
  'Query.funnel': `{ funnel(input: { steps: [{ name: "x" }, { name: "x" }], unit: GROUP, groupType: "company", ${RANGE}, breakdown: GROUP_PROPERTY, breakdownProperty: "plan" }) { steps { count units { edges { node { id group { name properties } } } } } breakdowns { value } } }`,
  // A's cohort as the units of B's question: refused as no cohort of B's project.
  'Query.retention': `{ retention(input: { unit: GROUP, groupType: "company", ${RANGE}, interval: DAY, cohortId: "COHORT_A" }) { cohorts { size values } } }`,
  'Query.lifecycle': `{ lifecycle(input: { ${RANGE}, filter: { groupIds: ["org_a"] } }) { buckets { new returning } } }`,
  'Query.stickiness': `{ stickiness(input: { ${RANGE}, filter: { profileId: "user_a" } }) { intervals counts } }`,
  'Mutation.trackBatch':
    'mutation { trackBatch(events: [{ id: "evt_a", name: "x", profileId: "user_a" }]) { accepted duplicates rejected { index message } } }',
  'Mutation.upsertGroup':
    'mutation { upsertGroup(input: { id: "org_a", properties: { b: 1 } }) { id name properties memberCount } }',
  'Mutation.setGroups':
    'mutation { setGroups(input: { profileId: "user_a", groupIds: ["org_a"] }) { id email groups { id name } } }',
  'Mutation.setGroup':
    'mutation { setGroup(profileId: "user_a", groupId: "org_a") { id email memberships { group { name } } } }',
  'Mutation.removeGroups':
    'mutation { removeGroups(input: { profileId: "user_a", groupIds: ["org_a"] }) { id email } }',
  'Mutation.identify': 'mutation { identify(input: { profileId: "user_a" }) { id email properties } }',
  'Mutation.track':
    'mutation { track(input: { id: "evt_a", name: "x", profileId: "user_a" }) { duplicate event { id properties groupIds } } }',
  'Mutation.updateGroup': 'mutation { updateGroup(input: { id: "org_a", name: "Hijacked" }) { id name } }',
  'Mutation.deleteGroup': 'mutation { deleteGroup(id: "org_a") }',
  'Mutation.backfillGroups': 'mutation { backfillGroups(input: { groupId: "org_a" }) { taggedEvents profiles } }',
  // COHORT_A: the id of project A's cohort (random, known after the seed).
  'Query.cohort': '{ cohort(id: "COHORT_A") { id name definition size members { edges { node { id } } } } }',
  'Query.cohorts': '{ cohorts { edges { node { id name definition size } } } }',
  'Mutation.createCohort': `mutation { createCohort(input: ${COHORT_INPUT}) { id size members { edges { node { id group { name } } } } } }`,
  'Mutation.updateCohort': `mutation { updateCohort(id: "COHORT_A", input: ${COHORT_INPUT}) { id name } }`,
  'Mutation.deleteCohort': 'mutation { deleteCohort(id: "COHORT_A") }',
};

/** Root fields whose cross-project check is a test of its own below. */
const SUBSCRIPTIONS = ['Subscription.events'];

describe('tenant isolation', () => {
  let a: CreatedKey;
  let b: CreatedKey;
  let cohortA: string;

  async function snapshotOfA() {
    const where = { projectId: a.projectId };
    const prisma = t.db.prisma;
    return {
      groups: await prisma.group.findMany({ where, orderBy: { id: 'asc' } }),
      profiles: await prisma.profile.findMany({ where, orderBy: { id: 'asc' } }),
      memberships: await prisma.groupMembership.findMany({ where, orderBy: { id: 'asc' } }),
      events: await prisma.event.findMany({ where, orderBy: { id: 'asc' } }),
      eventGroups: await prisma.eventGroup.count({ where }),
      cohorts: await prisma.cohort.findMany({ where, orderBy: { id: 'asc' } }),
    };
  }

  beforeAll(async () => {
    a = await t.createKey('root');
    b = await t.createKey('root');
    const seed = [
      `mutation { upsertGroup(input: { id: "org_a", type: "company", name: "${A_SECRET}", properties: { plan: "${A_SECRET}" } }) { id } }`,
      `mutation { identify(input: { profileId: "user_a", email: "${A_SECRET}@a.io" }) { id } }`,
      'mutation { setGroup(profileId: "user_a", groupId: "org_a") { id } }',
      `mutation { track(input: { id: "evt_a", name: "x", profileId: "user_a", properties: { note: "${A_SECRET}" } }) { duplicate } }`,
    ];
    for (const op of seed) await t.ok(op, {}, a);
    const cohort = await t.ok(
      `mutation { createCohort(input: { name: "${A_SECRET}", unit: GROUP, groupType: "company", rules: [{ property: { key: "plan", op: EXISTS } }] }) { id size } }`,
      {},
      a,
    );
    expect(cohort.createCohort.size).toBe(1);
    cohortA = cohort.createCohort.id;
  });

  it('every root field has a cross-project call here', () => {
    expect([...Object.keys(CALLS), ...SUBSCRIPTIONS].sort()).toEqual(rootFields().sort());
  });

  // A subscription reads what is stored while it is open: B listens on A's ids
  // while A stores an event; the first thing B hears is its own marker.
  it("Subscription.events with another project's key hears nothing of project A", async () => {
    const op = 'subscription { events(filter: { groupIds: ["org_a"] }) { id name properties groupIds } }';
    const all = 'subscription { events { id name properties groupIds } }';
    const subs = await Promise.all(
      [op, all].map((query) =>
        subscribe('http://test/graphql', query, {}, b, async (url, init) => t.app.fetch(url, init)),
      ),
    );
    await t.ok(
      `mutation { track(input: { name: "live_a", groups: ["org_a"], properties: { note: "${A_SECRET}" } }) { duplicate } }`,
      {},
      a,
    );
    await t.ok(
      'mutation { track(input: { id: "evt_b_marker", name: "marker", groups: ["org_a"] }) { duplicate } }',
      {},
      b,
    );
    for (const sub of subs) {
      const message = await sub.next();
      expect(JSON.stringify(message)).not.toContain(A_SECRET);
      expect(message.event === 'next' && message.data.data?.events?.id).toBe('evt_b_marker');
      await sub.close();
    }
  });

  it.each(Object.entries(CALLS))(
    "%s with another project's key neither reads nor changes project A",
    async (_field, op) => {
      const before = await snapshotOfA();
      const result = await t.gql(op.replace('COHORT_A', cohortA), {}, b);
      expect(JSON.stringify(result)).not.toContain(A_SECRET);
      expect(await snapshotOfA()).toEqual(before);
    },
  );

  it("B's writes under A's ids landed in B", async () => {
    const group = await t.gql('{ group(id: "org_a") { name properties } }', {}, b);
    expect(group.data?.group?.name ?? null).not.toBe(A_SECRET);
    expect((await snapshotOfA()).groups[0]!.name).toBe(A_SECRET);
  });
});
