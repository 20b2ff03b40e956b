import { describe, expect, it } from 'vitest';

import {
  CohortDocument,
  CreateCohortDocument,
  FunnelStepUnitsDocument,
  GroupsDocument,
  RetentionDocument,
} from '../src/sdk/index.ts';
import { DAY_MS, HOUR_MS } from '../src/time.ts';
import { useTestApp } from './helpers/app.ts';
import type { Operation } from './helpers/http.ts';

// Saved cohorts through the API: who may edit them, how definitions are
// validated and stored, and that size, members and `EventFilter.cohortId` agree.
// The randomized comparison with a reference is in cohorts.random.test.ts.
const t = useTestApp();

const CREATE = `mutation($input: CohortInput!) { createCohort(input: $input) { id name unit groupType definition size } }`;
const UPDATE = `mutation($id: ID!, $input: CohortInput!) { updateCohort(id: $id, input: $input) { id name definition size } }`;
const DELETE = `mutation($id: ID!) { deleteCohort(id: $id) }`;
const COHORT = `query($id: ID!, $first: Int, $after: String) { cohort(id: $id) { id size
  members(first: $first, after: $after) { edges { cursor node { id group { id name } profile { id } } } pageInfo { hasNextPage endCursor } } } }`;
const COHORTS = `query($first: Int, $after: String) { cohorts(first: $first, after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }`;
const EVENTS = `query($filter: EventFilter, $first: Int) { events(filter: $filter, first: $first) { edges { node { id profileId groupIds } } } }`;
const TOTAL = `query($input: EventAggregationInput!) { eventAggregation(input: $input) { series { key total } } }`;
const BATCH = `mutation($events: [TrackInput!]!) { trackBatch(events: $events) { accepted rejected { index code message } } }`;

async function project() {
  const key = await t.createKey('root');
  const gql = <TData = Record<string, any>, TVariables = Record<string, unknown>>(
    operation: Operation<TData, TVariables>,
    variables?: TVariables,
  ) => t.ok(operation, variables, key);
  const raw = (operation: string, variables?: Record<string, unknown>) => t.gql(operation, variables, key);
  return { key, gql, raw };
}

/** Three companies (one on pro with two exports this month), a workspace, and some profiles. */
async function seed(gql: Awaited<ReturnType<typeof project>>['gql']) {
  const upsert = `mutation($input: UpsertGroupInput!) { upsertGroup(input: $input) { id } }`;
  await gql(upsert, { input: { id: 'acme', type: 'company', name: 'Acme', properties: { plan: 'pro', seats: 25 } } });
  await gql(upsert, { input: { id: 'globex', type: 'company', name: 'Globex', properties: { plan: 'pro' } } });
  await gql(upsert, { input: { id: 'initech', type: 'company', name: 'Initech', properties: { plan: 'free' } } });
  await gql(upsert, { input: { id: 'ws1', type: 'workspace', properties: { plan: 'pro' } } });
  const now = Date.now();
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY_MS - HOUR_MS).toISOString();
  const events = [
    { name: 'report_exported', profileId: 'jane', groups: ['acme'], timestamp: at(1), properties: { format: 'pdf' } },
    { name: 'report_exported', profileId: 'jane', groups: ['acme'], timestamp: at(3), properties: { format: 'csv' } },
    { name: 'report_exported', profileId: 'bob', groups: ['globex', 'ws1'], timestamp: at(2) },
    { name: 'report_exported', profileId: 'bob', groups: ['globex'], timestamp: at(40) },
    { name: 'page_view', profileId: 'carl', groups: ['initech'], timestamp: at(1) },
    { name: 'page_view', profileId: 'jane', groups: ['acme'], timestamp: at(2) },
  ].map((e) => ({ ...e, inheritProfileGroups: false }));
  const result = await gql(BATCH, { events });
  expect(result.trackBatch).toEqual({ accepted: events.length, rejected: [] });
  await gql(`mutation { setGroups(input: { profileId: "jane", groupIds: ["acme"] }) { id } }`);
  await gql(`mutation { setGroups(input: { profileId: "bob", groupIds: ["acme", "globex"] }) { id } }`);
}

const proExporters = {
  name: 'Pro companies exporting',
  unit: 'GROUP',
  groupType: 'company',
  rules: [
    { property: { key: 'plan', op: 'EQ', value: 'pro' } },
    { performed: { eventName: 'report_exported', lastDays: 30, minCount: 2 } },
  ],
};

describe('cohorts', () => {
  it('stores the definition with defaults, evaluates size and members, and edits and deletes', async () => {
    const { gql } = await project();
    await seed(gql);
    const created = (await gql(CREATE, { input: proExporters })).createCohort;
    expect(created).toMatchObject({ name: 'Pro companies exporting', unit: 'GROUP', groupType: 'company', size: 1 });
    expect(created.definition).toEqual({
      unit: 'GROUP',
      groupType: 'company',
      match: 'ALL',
      rules: [
        { property: { key: 'plan', op: 'EQ', value: 'pro' }, negate: false },
        {
          performed: { eventName: 'report_exported', lastDays: 30, minCount: 2, maxCount: null, properties: [] },
          negate: false,
        },
      ],
    });
    const read = (await gql(COHORT, { id: created.id })).cohort;
    expect(read.members.edges.map((e: any) => e.node)).toEqual([
      { id: 'acme', group: { id: 'acme', name: 'Acme' }, profile: null },
    ]);

    // ANY with a negated rule and a member count: not pro, or at least two members.
    const updated = (
      await gql(UPDATE, {
        id: created.id,
        input: {
          ...proExporters,
          name: 'renamed',
          match: 'ANY',
          rules: [{ property: { key: 'plan', op: 'EQ', value: 'pro' }, negate: true }, { memberCount: { min: 2 } }],
        },
      })
    ).updateCohort;
    expect(updated).toMatchObject({ name: 'renamed', size: 2 });
    const page1 = (await gql(COHORT, { id: created.id, first: 1 })).cohort.members;
    const page2 = (await gql(COHORT, { id: created.id, first: 1, after: page1.pageInfo.endCursor })).cohort.members;
    expect([...page1.edges, ...page2.edges].map((e: any) => e.node.id)).toEqual(['acme', 'initech']);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    const list = (await gql(COHORTS, { first: 10 })).cohorts.edges.map((e: any) => e.node);
    expect(list).toEqual([{ id: created.id, name: 'renamed' }]);
    expect((await gql(DELETE, { id: created.id })).deleteCohort).toBe(true);
    expect((await gql(DELETE, { id: created.id })).deleteCohort).toBe(false);
    expect((await gql(COHORT, { id: created.id })).cohort).toBeNull();
  });

  it('cohortId as an event filter keeps the events of members, agreeing with members', async () => {
    const { gql } = await project();
    await seed(gql);
    const groups = (await gql(CREATE, { input: proExporters })).createCohort;
    const profiles = (
      await gql(CREATE, {
        input: {
          name: 'csv exporters',
          unit: 'PROFILE',
          rules: [
            {
              performed: {
                eventName: 'report_exported',
                lastDays: 7,
                properties: [{ key: 'format', op: 'EQ', value: 'csv' }],
              },
            },
          ],
        },
      })
    ).createCohort;
    expect(profiles.size).toBe(1);

    // setGroups records assign_group events too: expectations come from all events.
    const all = (await gql(EVENTS, { first: 100 })).events.edges.map((e: any) => e.node);
    const ids = (edges: any[]) => edges.map((e: any) => e.node.id).sort();
    const groupEvents = (await gql(EVENTS, { filter: { cohortId: groups.id }, first: 100 })).events.edges;
    expect(ids(groupEvents)).toEqual(
      all
        .filter((e: any) => e.groupIds.includes('acme'))
        .map((e: any) => e.id)
        .sort(),
    );
    const profileEvents = (await gql(EVENTS, { filter: { cohortId: profiles.id }, first: 100 })).events.edges;
    expect(ids(profileEvents)).toEqual(
      all
        .filter((e: any) => e.profileId === 'jane')
        .map((e: any) => e.id)
        .sort(),
    );

    // Every storage path of eventAggregation agrees with the same question asked by id:
    // rollups, EventGroup, raw events.
    const from = new Date(Date.now() - 60 * DAY_MS).toISOString();
    const ask = async (input: Record<string, unknown>) => (await gql(TOTAL, { input })).eventAggregation.series;
    for (const extra of [{}, { groupIds: ['acme', 'globex'] }, { properties: [{ key: 'format', op: 'EXISTS' }] }]) {
      const input = { metric: 'EVENTS', from, breakdown: 'GROUP' };
      const byCohort = await ask({ ...input, filter: { cohortId: groups.id, ...extra } });
      const byId = await ask({ ...input, filter: { ...extra, groupIds: ['acme'] } });
      expect(byCohort).toEqual(byId);
      expect(byCohort.length).toBe(1);
    }
    for (const metric of ['EVENTS', 'UNIQUE_PROFILES', 'UNIQUE_GROUPS']) {
      for (const extra of [{}, { eventNames: ['report_exported'] }]) {
        const input = { metric, from };
        const byCohort = await ask({ ...input, filter: { ...extra, cohortId: profiles.id } });
        const byId = await ask({ ...input, filter: { ...extra, profileId: 'jane' } });
        expect(byCohort).toEqual(byId);
      }
    }
  });

  it('README story: pro companies that exported reports at least twice this month', async () => {
    const { gql } = await project();
    await seed(gql);
    const created = (
      await gql(CreateCohortDocument, {
        input: {
          name: 'Pro exporters',
          unit: 'GROUP',
          groupType: 'company',
          rules: [
            { property: { key: 'plan', op: 'EQ', value: 'pro' } },
            { performed: { eventName: 'report_exported', lastDays: 30, minCount: 2 } },
          ],
        },
      })
    ).createCohort;
    // Globex is pro but exported once in the window (its other export is 40 days old).
    expect(created.size).toBe(1);
    const who = await gql(GroupsDocument, {
      cohortId: created.id,
      orderBy: { field: 'LAST_ACTIVE_AT', direction: 'DESC' },
      first: 20,
    });
    expect(who.groups.edges.map((e) => e.node.id)).toEqual(['acme']);
    const pro = await gql(GroupsDocument, {
      type: 'company',
      filter: { properties: [{ key: 'plan', op: 'EQ', value: 'pro' }] },
      first: 100,
    });
    const cohort = (await gql(CohortDocument, { id: created.id })).cohort!;
    expect(`${cohort.size} of ${pro.groups.edges.length}`).toBe('1 of 2');
    expect(cohort.members.edges.map((e) => e.node.group?.name)).toEqual(['Acme']);
    const byName = await gql(
      `query ($cohortId: ID!) { eventAggregation(input: { metric: EVENTS, interval: DAY, breakdown: EVENT_NAME,
        filter: { cohortId: $cohortId } }) { series { key total } } }`,
      { cohortId: created.id },
    );
    expect(byName.eventAggregation.series).toContainEqual({ key: 'report_exported', total: 2 });

    // A funnel of companies restricted to the cohort: Initech viewed a page but is no member.
    const now = Date.now();
    const funnelInput = {
      unit: 'GROUP' as const,
      groupType: 'company',
      steps: [{ name: 'page_view' }, { name: 'report_exported' }],
      windowSeconds: 7 * 86_400,
      from: new Date(now - 30 * DAY_MS).toISOString(),
      to: new Date(now).toISOString(),
    };
    const funnel = async (dropped: boolean, cohortId?: string) =>
      (await gql(FunnelStepUnitsDocument, { input: { ...funnelInput, cohortId }, dropped })).funnel.steps.map((s) =>
        s.units.edges.map((e) => e.node.id),
      );
    expect(await funnel(false)).toEqual([['acme', 'initech'], ['acme']]);
    expect(await funnel(true)).toEqual([['initech'], []]);
    expect(await funnel(false, created.id)).toEqual([['acme'], ['acme']]);
    expect(await funnel(true, created.id)).toEqual([[], []]);
    // Retention of exporters: Acme and Globex started exporting in the range, only Acme is in the cohort.
    const retentionInput = {
      unit: 'GROUP' as const,
      groupType: 'company',
      startEvent: 'report_exported',
      returnEvent: 'report_exported',
      interval: 'WEEK' as const,
      periods: 4,
      from: new Date(now - 45 * DAY_MS).toISOString(),
      to: new Date(now + HOUR_MS).toISOString(),
    };
    const sizes = async (cohortId?: string) =>
      (await gql(RetentionDocument, { input: { ...retentionInput, cohortId } })).retention.cohorts.reduce(
        (sum, c) => sum + c.size,
        0,
      );
    expect(await sizes()).toBe(2);
    expect(await sizes(created.id)).toBe(1);
  });

  it('refuses bad definitions and foreign or unfit cohorts with VALIDATION_FAILED', async () => {
    const { gql, raw } = await project();
    const bad = [
      { ...proExporters, groupType: null },
      { ...proExporters, unit: 'PROFILE' },
      { ...proExporters, rules: [] },
      { ...proExporters, rules: Array.from({ length: 21 }, () => proExporters.rules[0]) },
      { ...proExporters, rules: [{}] },
      { ...proExporters, rules: [{ ...proExporters.rules[0], memberCount: { min: 1 } }] },
      { ...proExporters, rules: [{ memberCount: { min: 3, max: 2 } }] },
      { ...proExporters, rules: [{ performed: { eventName: 'x', lastDays: 0 } }] },
      { ...proExporters, rules: [{ performed: { eventName: 'x', lastDays: 5, minCount: -1 } }] },
      { ...proExporters, rules: [{ performed: { eventName: 'x', lastDays: 5, minCount: 3, maxCount: 1 } }] },
      { ...proExporters, rules: [{ property: { key: 'plan', op: 'GT', value: [1] } }] },
      { name: 'p', unit: 'PROFILE', rules: [{ memberCount: { min: 1 } }] },
    ];
    for (const input of bad) {
      const result = await raw(CREATE, { input });
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe('VALIDATION_FAILED');
    }
    const other = await t.createKey('root');
    const foreign = (await t.ok(CREATE, { input: proExporters }, other)).createCohort;
    const viaFilter = await raw(EVENTS, { filter: { cohortId: foreign.id } });
    expect(viaFilter.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect((await gql(COHORT, { id: foreign.id })).cohort).toBeNull();
    const update = await raw(UPDATE, { id: foreign.id, input: proExporters });
    expect(update.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await gql(DELETE, { id: foreign.id })).deleteCohort).toBe(false);
  });

  it('needs root to create, update and delete; read keys may read', async () => {
    const { key } = await project();
    const created = (await t.ok(CREATE, { input: proExporters }, key)).createCohort;
    for (const mode of ['read', 'write'] as const) {
      const other = await t.createKey(mode, key.projectId);
      for (const [doc, vars] of [
        [CREATE, { input: proExporters }],
        [UPDATE, { id: created.id, input: proExporters }],
        [DELETE, { id: created.id }],
      ] as const) {
        const result = await t.gql(doc, vars, other);
        expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      }
    }
    const reader = await t.createKey('read', key.projectId);
    expect((await t.ok(COHORT, { id: created.id }, reader)).cohort.size).toBe(0);
  });
});
