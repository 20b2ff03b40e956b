import { describe, expect, it } from 'vitest';

import {
  EventsDocument,
  GroupsDocument,
  GroupTypesDocument,
  IdentifyDocument,
  ProfileGroupsDocument,
  SetGroupsDocument,
  UpsertGroupDocument,
  type EventFilter,
  type GroupsQuery,
} from '../src/sdk/index.ts';
import { useTestApp } from './helpers/app.ts';
import type { Operation } from './helpers/http.ts';

// Each group-analytics example (README, "GraphQL examples"), walked end to end over real HTTP,
// asserting both the stored rows and what the queries return. The SDK's
// documents (schema/operations) where one exists; the operations below where
// a test reads back more than they select, or the SDK has no such call.
const t = useTestApp({ transport: 'http' });

/** identify, reading the profile back (IdentifyDocument selects only the id). */
const IDENTIFY = `mutation($input: IdentifyInput!) { identify(input: $input) { id firstName email properties } }`;
const SET_GROUP = `mutation($p: ID!, $g: ID!) { setGroup(profileId: $p, groupId: $g) { id groups { id } } }`;
const TRACK = `mutation($input: TrackInput!) { track(input: $input) { duplicate event { id name groupIds profileId } } }`;

/** A fresh project per test, so counts and lists belong to that test alone. */
async function project() {
  const key = await t.createKey('root');
  /** Runs with this project's key and expects no errors. */
  const gql = <TData = Record<string, any>, TVariables = Record<string, unknown>>(
    operation: Operation<TData, TVariables>,
    variables?: TVariables,
  ) => t.ok(operation, variables, key);
  const rows = () => ({
    events: () =>
      t.db.prisma.event.findMany({
        where: { projectId: key.projectId },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      }),
    memberships: () =>
      t.db.prisma.groupMembership.findMany({ where: { projectId: key.projectId }, orderBy: { id: 'asc' } }),
    groups: () => t.db.prisma.group.findMany({ where: { projectId: key.projectId }, orderBy: { id: 'asc' } }),
  });
  return { key, gql, rows: rows() };
}

type ProjectGql = Awaited<ReturnType<typeof project>>['gql'];

async function track(gql: ProjectGql, input: Record<string, unknown>) {
  return (await gql(TRACK, { input })).track.event as { id: string; groupIds: string[] };
}

describe('group analytics, end to end over HTTP', () => {
  it('full login flow: identify → upsertGroup → setGroup → track tags every event with the group', async () => {
    const { gql, rows } = await project();
    const identified = await gql(IDENTIFY, {
      input: { profileId: 'user_123', firstName: 'Jane', email: 'jane@acme.com' },
    });
    expect(identified.identify).toEqual({ id: 'user_123', firstName: 'Jane', email: 'jane@acme.com', properties: {} });

    await gql(UpsertGroupDocument, {
      input: { id: 'org_acme', type: 'company', name: 'Acme Inc', properties: { plan: 'pro' } },
    });
    const set = await gql(SET_GROUP, { p: 'user_123', g: 'org_acme' });
    expect(set.setGroup.groups).toEqual([{ id: 'org_acme' }]);

    expect((await track(gql, { name: 'dashboard_viewed', profileId: 'user_123' })).groupIds).toEqual(['org_acme']);
    expect((await track(gql, { name: 'report_exported', profileId: 'user_123' })).groupIds).toEqual(['org_acme']);

    const events = await rows.events();
    expect(events.map((e) => [e.name, e.groupIds])).toEqual([
      ['assign_group', ['org_acme']],
      ['dashboard_viewed', ['org_acme']],
      ['report_exported', ['org_acme']],
    ]);
    const memberships = await rows.memberships();
    expect(memberships.map((m) => [m.profileId, m.groupId, m.leftAt])).toEqual([['user_123', 'org_acme', null]]);

    const group = await gql(`{ group(id: "org_acme") {
      name memberCount lastActiveAt
      members { edges { joinedAt leftAt node { id email } } }
      stats { eventCount uniqueProfiles topEvents(limit: 2) { name count } }
    } }`);
    expect(group.group).toMatchObject({
      name: 'Acme Inc',
      memberCount: 1,
      lastActiveAt: events[2]!.createdAt.toISOString(),
      members: { edges: [{ leftAt: null, node: { id: 'user_123', email: 'jane@acme.com' } }] },
      stats: { eventCount: 3, uniqueProfiles: 1 },
    });
    expect(group.group.stats.topEvents).toHaveLength(2);
    expect(group.group.stats.topEvents.every((e: { count: number }) => e.count === 1)).toBe(true);
  });

  it('setGroup before the group exists creates a placeholder, filled in later by upsertGroup', async () => {
    const { gql, rows } = await project();
    await gql(SET_GROUP, { p: 'user_1', g: 'org_later' });
    const placeholder = await gql(`{ group(id: "org_later") { id type name properties memberCount } }`);
    expect(placeholder.group).toEqual({ id: 'org_later', type: null, name: null, properties: {}, memberCount: 1 });
    expect((await track(gql, { name: 'x', profileId: 'user_1' })).groupIds).toEqual(['org_later']);

    await gql(UpsertGroupDocument, { input: { id: 'org_later', type: 'company', name: 'Later Ltd' } });
    const filled = await gql(GroupsDocument);
    expect(filled.groups.edges.map((e) => e.node)).toMatchObject([
      { id: 'org_later', type: 'company', name: 'Later Ltd', memberCount: 1 },
    ]);
    expect((await rows.groups()).length).toBe(1);
  });

  it('multiple groups: setGroups links both and events carry both', async () => {
    const { gql, rows } = await project();
    // setGroups answers with the profile; its groups are read back here, which SetGroupsDocument does not select.
    const set = await gql(`mutation($input: SetGroupsInput!) { setGroups(input: $input) { id groups { id } } }`, {
      input: { profileId: 'u', groupIds: ['org_acme', 'team_engineering'] },
    });
    expect(set.setGroups.groups.map((g: { id: string }) => g.id).sort()).toEqual(['org_acme', 'team_engineering']);
    const event = await track(gql, { name: 'deploy', profileId: 'u' });
    expect([...event.groupIds].sort()).toEqual(['org_acme', 'team_engineering']);
    const assign = (await rows.events()).find((e) => e.name === 'assign_group')!;
    expect([...assign.groupIds].sort()).toEqual(['org_acme', 'team_engineering']);
    expect(await rows.memberships()).toHaveLength(2);
  });

  it('per-event override is merged with memberships and does not change them', async () => {
    const { gql, rows } = await project();
    await gql(SET_GROUP, { p: 'u', g: 'org_acme' });
    const shared = await track(gql, {
      name: 'file_shared',
      profileId: 'u',
      groups: ['org_acme', 'org_partner'],
      properties: { filename: 'q4-report.pdf' },
    });
    expect(shared.groupIds).toEqual(['org_acme', 'org_partner']);
    const next = await track(gql, { name: 'next', profileId: 'u' });
    expect(next.groupIds).toEqual(['org_acme']);
    expect((await rows.memberships()).map((m) => m.groupId)).toEqual(['org_acme']);
    // The override alone, without memberships:
    const only = await track(gql, {
      name: 'only',
      profileId: 'u',
      groups: ['org_partner'],
      inheritProfileGroups: false,
    });
    expect(only.groupIds).toEqual(['org_partner']);
  });

  it('the project setting turns inheritance off', async () => {
    const { key, gql } = await project();
    await gql(SET_GROUP, { p: 'u', g: 'org_acme' });
    await t.db.prisma.project.update({ where: { id: key.projectId }, data: { inheritProfileGroups: false } });
    expect((await track(gql, { name: 'x', profileId: 'u' })).groupIds).toEqual([]);
    expect((await track(gql, { name: 'x', profileId: 'u', groups: ['g2'] })).groupIds).toEqual(['g2']);
  });

  it('B2B company accounts and company + team', async () => {
    const { gql } = await project();
    const user = { id: 'user_9', email: 'ann@globex.io', organizationId: 'org_globex', teamId: 'team_platform' };
    await gql(IdentifyDocument, { input: { profileId: user.id, email: user.email } });
    await gql(UpsertGroupDocument, {
      input: {
        id: user.organizationId,
        type: 'company',
        name: 'Globex',
        properties: { plan: 'enterprise', mrr: 4200 },
      },
    });
    await gql(UpsertGroupDocument, { input: { id: user.teamId, type: 'team', name: 'Platform' } });
    await gql(SetGroupsDocument, { input: { profileId: user.id, groupIds: [user.organizationId, user.teamId] } });
    expect([...(await track(gql, { name: 'x', profileId: user.id })).groupIds].sort()).toEqual([
      'org_globex',
      'team_platform',
    ]);
    const types = await gql(GroupTypesDocument);
    expect(types.groupTypes).toEqual([
      { type: 'company', groupCount: 1 },
      { type: 'team', groupCount: 1 },
    ]);
    const companies = await gql(GroupsDocument, { type: 'company' });
    expect(companies.groups.edges.map((e) => [e.node.id, e.node.properties])).toEqual([
      ['org_globex', { plan: 'enterprise', mrr: 4200 }],
    ]);
    const profile = await gql(ProfileGroupsDocument, { id: 'user_9' });
    expect(profile.profile!.groups).toEqual([
      { id: 'org_globex', name: 'Globex', type: 'company' },
      { id: 'team_platform', name: 'Platform', type: 'team' },
    ]);
  });

  it('workspace switch: joining a second workspace keeps the first; removeGroups ends it with history kept', async () => {
    const { gql, rows } = await project();
    for (const ws of [
      { id: 'ws_a', name: 'Alpha' },
      { id: 'ws_b', name: 'Beta' },
    ]) {
      await gql(UpsertGroupDocument, { input: { ...ws, type: 'workspace' } });
    }
    await gql(SET_GROUP, { p: 'u', g: 'ws_a' });
    await gql(SET_GROUP, { p: 'u', g: 'ws_b' });
    expect([...(await track(gql, { name: 'x', profileId: 'u' })).groupIds].sort()).toEqual(['ws_a', 'ws_b']);

    const removed = await gql(
      `mutation { removeGroups(input: { profileId: "u", groupIds: ["ws_a"] }) { groups { id } memberships(includeFormer: true) { group { id } leftAt } } }`,
    );
    expect(removed.removeGroups.groups).toEqual([{ id: 'ws_b' }]);
    expect(removed.removeGroups.memberships).toHaveLength(2);
    expect(removed.removeGroups.memberships.find((m: any) => m.group.id === 'ws_a').leftAt).not.toBeNull();
    expect((await track(gql, { name: 'y', profileId: 'u' })).groupIds).toEqual(['ws_b']);

    // Re-joining opens a new membership row; the ended one stays.
    await gql(SET_GROUP, { p: 'u', g: 'ws_a' });
    const history = (await rows.memberships()).filter((m) => m.groupId === 'ws_a');
    expect(history).toHaveLength(2);
    expect(history[0]!.leftAt).not.toBeNull();
    expect(history[1]!.leftAt).toBeNull();

    const members = await gql(
      `{ group(id: "ws_a") { memberCount current: members { edges { node { id } } } all: members(includeFormer: true) { edges { leftAt } } } }`,
    );
    expect(members.group.memberCount).toBe(1);
    expect(members.group.current.edges).toEqual([{ node: { id: 'u' } }]);
    expect(members.group.all.edges).toHaveLength(2);
  });

  it('setting a current membership again changes nothing', async () => {
    const { gql, rows } = await project();
    await gql(SET_GROUP, { p: 'u', g: 'g1' });
    const before = { events: (await rows.events()).length, memberships: await rows.memberships() };
    await gql(SET_GROUP, { p: 'u', g: 'g1' });
    await gql(SetGroupsDocument, { input: { profileId: 'u', groupIds: ['g1'] } });
    expect((await rows.events()).length).toBe(before.events);
    expect(await rows.memberships()).toEqual(before.memberships);
  });

  it('dashboard edit replaces name, type and properties; delete removes the entity, ends memberships, keeps event tags', async () => {
    const { gql, rows } = await project();
    await gql(UpsertGroupDocument, {
      input: { id: 'org', type: 'company', name: 'Old', properties: { plan: 'pro', seats: 3 } },
    });
    const edited = await gql(
      `mutation { updateGroup(input: { id: "org", type: "workspace", name: "New", properties: { tier: 2 } }) { id type name properties } }`,
    );
    expect(edited.updateGroup).toEqual({ id: 'org', type: 'workspace', name: 'New', properties: { tier: 2 } });

    await gql(SET_GROUP, { p: 'u', g: 'org' });
    const tracked = await track(gql, { name: 'x', profileId: 'u' });
    expect(tracked.groupIds).toEqual(['org']);

    expect((await gql(`mutation { deleteGroup(id: "org") }`)).deleteGroup).toBe(true);
    expect((await gql(`mutation { deleteGroup(id: "org") }`)).deleteGroup).toBe(false);
    expect((await gql(`{ group(id: "org") { id } }`)).group).toBeNull();
    expect((await rows.memberships()).every((m) => m.leftAt !== null)).toBe(true);
    const stored = (await rows.events()).find((e) => e.id === tracked.id)!;
    expect(stored.groupIds).toEqual(['org']);

    // The deleted group still shows on its events, by id only.
    const listed = await gql(
      `{ events(filter: { eventNames: ["x"] }) { edges { node { groups { id name createdAt } } } } }`,
    );
    expect(listed.events.edges[0].node.groups).toEqual([{ id: 'org', name: null, createdAt: null }]);
    // No longer a member, so new events are untagged; a new reference makes a placeholder again.
    expect((await track(gql, { name: 'after', profileId: 'u' })).groupIds).toEqual([]);
    await track(gql, { name: 'again', groups: ['org'] });
    expect((await gql(`{ group(id: "org") { id name } }`)).group).toEqual({ id: 'org', name: null });

    const missing = await t.gql(`mutation { updateGroup(input: { id: "nope", name: "x" }) { id } }`);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('identify merges like upsertGroup: omitted fields kept, null removes a property', async () => {
    const { gql } = await project();
    await gql(IdentifyDocument, {
      input: { profileId: 'p', firstName: 'Jo', email: 'a@x.io', properties: { a: 1, b: [1] } },
    });
    const merged = await gql(IDENTIFY, {
      input: { profileId: 'p', email: 'b@x.io', properties: { a: null, c: { d: true } } },
    });
    expect(merged.identify).toEqual({
      id: 'p',
      firstName: 'Jo',
      email: 'b@x.io',
      properties: { b: [1], c: { d: true } },
    });
  });
});

describe('queries', () => {
  it('groups: newest first, search in id and name, stable opaque cursors, first capped at 100', async () => {
    const { gql } = await project();
    for (let i = 0; i < 5; i++) {
      await gql(UpsertGroupDocument, { input: { id: `g${i}`, type: i % 2 ? 'team' : 'company', name: `Name ${i}` } });
    }
    const ids = (data: GroupsQuery) => data.groups.edges.map((e) => e.node.id);
    const page1 = await gql(GroupsDocument, { first: 2 });
    expect(ids(page1)).toEqual(['g4', 'g3']);
    expect(page1.groups.pageInfo.hasNextPage).toBe(true);
    const page2 = await gql(GroupsDocument, { first: 2, after: page1.groups.pageInfo.endCursor });
    expect(ids(page2)).toEqual(['g2', 'g1']);

    expect(ids(await gql(GroupsDocument, { search: 'name 3' }))).toEqual(['g3']);
    expect(ids(await gql(GroupsDocument, { search: 'G0' }))).toEqual(['g0']);
    expect(ids(await gql(GroupsDocument, { type: 'team' }))).toEqual(['g3', 'g1']);

    const capped = await gql(GroupsDocument, { first: 1000 });
    expect(ids(capped)).toEqual(['g4', 'g3', 'g2', 'g1', 'g0']);
  });

  it('profiles: search in id, email and names; filter by current group', async () => {
    const { gql } = await project();
    await gql(IdentifyDocument, { input: { profileId: 'u1', firstName: 'Ada', email: 'ada@one.io' } });
    await gql(IdentifyDocument, { input: { profileId: 'u2', lastName: 'Lovelace', email: 'l@two.io' } });
    await gql(SET_GROUP, { p: 'u2', g: 'org' });
    await gql(SET_GROUP, { p: 'u3', g: 'org' });
    await gql(`mutation { removeGroups(input: { profileId: "u3", groupIds: ["org"] }) { id } }`);
    const ids = (data: any) => data.profiles.edges.map((e: any) => e.node.id);
    expect(ids(await gql(`{ profiles(search: "ONE.io") { edges { node { id } } } }`))).toEqual(['u1']);
    expect(ids(await gql(`{ profiles(search: "love") { edges { node { id } } } }`))).toEqual(['u2']);
    expect(ids(await gql(`{ profiles(search: "ada") { edges { node { id } } } }`))).toEqual(['u1']);
    expect(ids(await gql(`{ profiles(groupId: "org") { edges { node { id } } } }`))).toEqual(['u2']);
    expect(ids(await gql(`{ profiles { edges { node { id } } } }`))).toEqual(['u3', 'u2', 'u1']);
  });

  it('events: every EventFilter part, newest first, keyset pages', async () => {
    const { gql } = await project();
    await gql(UpsertGroupDocument, {
      input: { id: 'acme', type: 'company', name: 'Acme', properties: { plan: 'pro' } },
    });
    await gql(UpsertGroupDocument, {
      input: { id: 'init', type: 'company', name: 'Initech', properties: { plan: 'free' } },
    });
    await gql(UpsertGroupDocument, { input: { id: 'team', type: 'team', name: 'T', properties: { plan: 'pro' } } });
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
    const seed = [
      {
        id: 'e1',
        name: 'view',
        profileId: 'u1',
        groups: ['acme'],
        timestamp: at(1),
        properties: { n: 5, tags: ['a', 'b'] },
      },
      {
        id: 'e2',
        name: 'export',
        profileId: 'u1',
        groups: ['init'],
        timestamp: at(2),
        properties: { n: 10, path: '/Reports/Q4' },
      },
      { id: 'e3', name: 'view', profileId: 'u2', groups: ['team'], timestamp: at(3), properties: { n: 'x' } },
      { id: 'e4', name: 'export', groups: [], timestamp: at(4), properties: {} },
      { id: 'e5', name: 'view', profileId: 'u2', groups: ['acme', 'init'], timestamp: at(5), properties: { n: 7 } },
    ];
    for (const input of seed) await track(gql, input);
    const ids = async (filter: EventFilter) =>
      (await gql(EventsDocument, { filter })).events.edges.map((e) => e.node.id);

    expect(await ids({})).toEqual(['e5', 'e4', 'e3', 'e2', 'e1']);
    expect(await ids({ eventNames: ['export'] })).toEqual(['e4', 'e2']);
    expect(await ids({ profileId: 'u2' })).toEqual(['e5', 'e3']);
    expect(await ids({ groupIds: ['init'] })).toEqual(['e5', 'e2']);
    expect(await ids({ groupType: 'team' })).toEqual(['e3']);
    expect(await ids({ from: at(2), to: at(4) })).toEqual(['e3', 'e2']);
    expect(await ids({ properties: [{ key: 'n', op: 'GT', value: 5 }] })).toEqual(['e5', 'e2']);
    expect(await ids({ properties: [{ key: 'n', op: 'LTE', value: 5 }] })).toEqual(['e1']);
    expect(await ids({ properties: [{ key: 'n', op: 'EQ', value: 'x' }] })).toEqual(['e3']);
    expect(await ids({ properties: [{ key: 'n', op: 'NEQ', value: 5 }] })).toEqual(['e5', 'e4', 'e3', 'e2']);
    expect(await ids({ properties: [{ key: 'n', op: 'IN', value: [5, 7] }] })).toEqual(['e5', 'e1']);
    expect(await ids({ properties: [{ key: 'tags', op: 'CONTAINS', value: 'b' }] })).toEqual(['e1']);
    expect(await ids({ properties: [{ key: 'path', op: 'CONTAINS', value: 'reports' }] })).toEqual(['e2']);
    expect(await ids({ properties: [{ key: 'n', op: 'EXISTS' }] })).toEqual(['e5', 'e3', 'e2', 'e1']);
    expect(await ids({ properties: [{ key: 'n', op: 'EXISTS', value: false }] })).toEqual(['e4']);
    expect(await ids({ groupProperties: [{ key: 'plan', op: 'EQ', value: 'pro' }] })).toEqual(['e5', 'e3', 'e1']);
    expect(await ids({ groupType: 'company', groupProperties: [{ key: 'plan', op: 'EQ', value: 'pro' }] })).toEqual([
      'e5',
      'e1',
    ]);

    const first = await gql(EventsDocument, { first: 2 });
    const second = await gql(EventsDocument, { first: 2, after: first.events.pageInfo.endCursor });
    expect(second.events.edges.map((e) => e.node.id)).toEqual(['e3', 'e2']);

    const perGroup = await gql(
      `{ group(id: "acme") { events(first: 1) { edges { node { id profile { id } } } pageInfo { hasNextPage endCursor } } } }`,
    );
    expect(perGroup.group.events.edges).toEqual([{ node: { id: 'e5', profile: { id: 'u2' } } }]);
    const perGroupNext = await gql(
      `query($a: String) { group(id: "acme") { events(after: $a, filter: { eventNames: ["view"] }) { edges { node { id } } } } }`,
      {
        a: perGroup.group.events.pageInfo.endCursor,
      },
    );
    expect(perGroupNext.group.events.edges).toEqual([{ node: { id: 'e1' } }]);
    const profileEvents = await gql(`{ profile(id: "u1") { events { edges { node { id } } } } }`);
    expect(profileEvents.profile.events.edges.map((e: any) => e.node.id)).toEqual(['e2', 'e1']);
  });
});
