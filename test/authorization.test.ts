import { describe, expect, it } from 'vitest';

import type { CreatedKey, Mode } from '../src/services/keys.ts';
import { useTestApp } from './helpers/app.ts';
import { rootFields } from './helpers/schema.ts';
import { subscribe } from './helpers/sse.ts';

// The mode rules, for every root field of the schema itself: a field added
// without a row here fails the first test.
const t = useTestApp();

type Rule = 'query' | 'ingest' | 'admin';
const ALLOWED: Record<Rule, Mode[]> = { query: ['read', 'root'], ingest: ['write', 'root'], admin: ['root'] };

const COHORT_INPUT = '{ name: "c", unit: PROFILE, rules: [{ property: { key: "k", op: EXISTS } }] }';

const RULES: Record<string, { rule: Rule; op: string }> = {
  'Query.group': { rule: 'query', op: '{ group(id: "g") { id } }' },
  'Query.groups': { rule: 'query', op: '{ groups { edges { cursor } } }' },
  'Query.groupTypes': { rule: 'query', op: '{ groupTypes { type } }' },
  'Query.profile': { rule: 'query', op: '{ profile(id: "p") { id } }' },
  'Query.profiles': { rule: 'query', op: '{ profiles { edges { cursor } } }' },
  'Query.events': { rule: 'query', op: '{ events { edges { cursor } } }' },
  'Query.eventAggregation': { rule: 'query', op: '{ eventAggregation(input: { metric: EVENTS }) { total } }' },
  'Query.funnel': {
    rule: 'query',
    op: '{ funnel(input: { steps: [{ name: "a" }, { name: "b" }], from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { steps { count } } }',
  },
  'Query.retention': {
    rule: 'query',
    op: '{ retention(input: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { average } }',
  },
  'Query.lifecycle': {
    rule: 'query',
    op: '{ lifecycle(input: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { buckets { new } } }',
  },
  'Query.stickiness': {
    rule: 'query',
    op: '{ stickiness(input: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }) { counts } }',
  },
  'Mutation.upsertGroup': { rule: 'ingest', op: 'mutation { upsertGroup(input: { id: "g", name: "G" }) { id } }' },
  'Mutation.setGroups': {
    rule: 'ingest',
    op: 'mutation { setGroups(input: { profileId: "p", groupIds: ["g"] }) { id } }',
  },
  'Mutation.setGroup': { rule: 'ingest', op: 'mutation { setGroup(profileId: "p", groupId: "g") { id } }' },
  'Mutation.removeGroups': {
    rule: 'ingest',
    op: 'mutation { removeGroups(input: { profileId: "p", groupIds: ["g"] }) { id } }',
  },
  'Mutation.identify': { rule: 'ingest', op: 'mutation { identify(input: { profileId: "p" }) { id } }' },
  'Mutation.trackBatch': {
    rule: 'ingest',
    op: 'mutation { trackBatch(events: [{ name: "x" }]) { accepted duplicates rejected { index } } }',
  },
  'Mutation.track': { rule: 'ingest', op: 'mutation { track(input: { name: "x" }) { duplicate event { id } } }' },
  'Mutation.updateGroup': { rule: 'admin', op: 'mutation { updateGroup(input: { id: "g", name: "H" }) { id } }' },
  'Mutation.deleteGroup': { rule: 'admin', op: 'mutation { deleteGroup(id: "nothing") }' },
  'Mutation.backfillGroups': {
    rule: 'admin',
    op: 'mutation { backfillGroups(input: { groupId: "g" }) { taggedEvents profiles } }',
  },
  'Subscription.events': { rule: 'query', op: 'subscription { events { id } }' },
  'Query.cohort': { rule: 'query', op: '{ cohort(id: "c") { id } }' },
  'Query.cohorts': { rule: 'query', op: '{ cohorts { edges { cursor } } }' },
  'Mutation.createCohort': { rule: 'admin', op: `mutation { createCohort(input: ${COHORT_INPUT}) { id } }` },
  // COHORT_ID: a cohort made for the call, so "allowed" means it succeeds.
  'Mutation.updateCohort': {
    rule: 'admin',
    op: `mutation { updateCohort(id: "COHORT_ID", input: ${COHORT_INPUT}) { id } }`,
  },
  'Mutation.deleteCohort': { rule: 'admin', op: 'mutation { deleteCohort(id: "nothing") }' },
};

/**
 * A subscription's first result over SSE; when it is allowed, an event stored by
 * a root key of the same project is what arrives.
 */
async function firstSubscriptionResult(op: string, key: CreatedKey) {
  const sub = await subscribe('http://test/graphql', op, {}, key, async (url, init) => t.app.fetch(url, init));
  try {
    await t.gql('mutation { track(input: { name: "x" }) { duplicate } }', {}, await t.createKey('root', key.projectId));
    const message = await sub.next();
    if (message.event !== 'next') throw new Error('the subscription completed without a result');
    return message.data;
  } finally {
    await sub.close();
  }
}

describe('key modes', () => {
  it('every root field of the schema has a mode rule here', () => {
    expect(Object.keys(RULES).sort()).toEqual(rootFields().sort());
  });

  const matrix = Object.entries(RULES).flatMap(([field, { rule, op }]) =>
    (['write', 'read', 'root'] as Mode[]).map((mode) => [field, mode, ALLOWED[rule].includes(mode), op] as const),
  );

  it.each(matrix)('%s with a %s key: allowed=%s', async (_field, mode, allowed, op) => {
    const key = await t.createKey(mode);
    if (op.includes('removeGroups') || op.includes('updateGroup') || op.includes('backfillGroups')) {
      // Give the call something to act on, so "allowed" means it succeeds.
      await t.gql(
        'mutation { setGroup(profileId: "p", groupId: "g") { id } }',
        {},
        await t.createKey('root', key.projectId),
      );
    }
    let operation = op;
    if (op.includes('COHORT_ID')) {
      const root = await t.createKey('root', key.projectId);
      const created = await t.ok(`mutation { createCohort(input: ${COHORT_INPUT}) { id } }`, {}, root);
      operation = op.replace('COHORT_ID', created.createCohort.id);
    }
    const result = operation.startsWith('subscription')
      ? await firstSubscriptionResult(operation, key)
      : await t.gql(operation, {}, key);
    if (allowed) {
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    } else {
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(Object.values(result.data ?? {}).every((value) => value === null)).toBe(true);
    }
  });

  it('a forbidden mutation changes nothing', async () => {
    const root = await t.createKey('root');
    const write = await t.createKey('write', root.projectId);
    await t.gql('mutation { upsertGroup(input: { id: "keep", name: "Keep" }) { id } }', {}, root);
    const denied = await t.gql('mutation { deleteGroup(id: "keep") }', {}, write);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const read = await t.createKey('read', root.projectId);
    const tracked = await t.gql('mutation { track(input: { name: "x", groups: ["keep"] }) { duplicate } }', {}, read);
    expect(tracked.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await t.db.prisma.group.count({ where: { projectId: root.projectId } })).toBe(1);
    expect(await t.db.prisma.event.count({ where: { projectId: root.projectId } })).toBe(0);
  });

  it('a write key reads nothing back through mutation results but the ids it sent', async () => {
    const root = await t.createKey('root');
    const write = await t.createKey('write', root.projectId);
    await t.gql(
      'mutation { upsertGroup(input: { id: "org", name: "Secret Co", properties: { mrr: 9000 } }) { id } }',
      {},
      root,
    );
    const ok = await t.gql(
      'mutation { upsertGroup(input: { id: "org", properties: { seen: true } }) { id } }',
      {},
      write,
    );
    expect(ok.data).toEqual({ upsertGroup: { id: 'org' } });
    const leak = await t.gql(
      'mutation { upsertGroup(input: { id: "org", properties: {} }) { id name properties members { edges { node { email } } } } }',
      {},
      write,
    );
    expect(leak.errors?.map((e) => e.extensions?.code)).toContain('FORBIDDEN');
    expect(JSON.stringify(leak.data ?? {})).not.toContain('Secret Co');
    expect(JSON.stringify(leak.data ?? {})).not.toContain('9000');
    const event = await t.gql(
      'mutation { track(input: { name: "x", groups: ["org"] }) { event { groupIds properties } } }',
      {},
      write,
    );
    expect(event.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
