import { describe, expect, it } from 'vitest';

import { seededRandom } from '../src/cli/demo/random.ts';
import { useTestApp } from './helpers/app.ts';

// Every change of a group's properties is recorded, key by key, in the
// transaction of the change; nothing is recorded when nothing changes.

const t = useTestApp();

interface Change {
  key: string;
  value: unknown;
  previousValue: unknown;
  changedAt: string;
}

interface HistoryPage {
  edges: { node: Change }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const HISTORY = `query ($id: ID!, $key: String, $first: Int, $after: String) {
  group(id: $id) { properties propertyHistory(key: $key, first: $first, after: $after) {
    edges { cursor node { key value previousValue changedAt } } pageInfo { hasNextPage endCursor } } } }`;
const UPSERT = `mutation ($input: UpsertGroupInput!) { upsertGroup(input: $input) { id } }`;
const UPDATE = `mutation ($input: UpdateGroupInput!) { updateGroup(input: $input) { id } }`;

async function history(id: string, key?: string): Promise<Change[]> {
  const data = await t.ok(HISTORY, { id, key, first: 100 });
  return data.group.propertyHistory.edges.map((e: { node: Change }) => e.node);
}

/** Oldest first, without times: what the assertions compare. */
const changes = (list: Change[]) =>
  list.map(({ key, value, previousValue }) => ({ key, value, previousValue })).reverse();

describe('group property history', () => {
  it('records each changed key with its new and previous value, and nothing for a change to nothing', async () => {
    await t.ok(UPSERT, { input: { id: 'acme', type: 'company', properties: { plan: 'free', seats: 5 } } });
    await t.ok(UPSERT, { input: { id: 'acme', properties: { plan: 'free', seats: 5 } } }); // the same values
    await t.ok(UPSERT, { input: { id: 'acme', name: 'Acme Inc' } }); // no properties
    await t.ok(UPSERT, { input: { id: 'acme', properties: { plan: 'pro', tags: ['a', 1] } } });
    await t.ok(UPSERT, { input: { id: 'acme', properties: { seats: null, gone: null } } }); // one removal, one no-op
    await t.ok(UPDATE, {
      input: { id: 'acme', type: 'company', name: 'Acme', properties: { plan: 'pro', region: 'eu' } },
    });

    const all = await history('acme');
    expect(
      changes(all)
        .slice(0, 2)
        .sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual([
      { key: 'plan', value: 'free', previousValue: null },
      { key: 'seats', value: 5, previousValue: null },
    ]);
    expect(changes(all).slice(2)).toEqual([
      { key: 'plan', value: 'pro', previousValue: 'free' },
      { key: 'tags', value: ['a', 1], previousValue: null },
      { key: 'seats', value: null, previousValue: 5 },
      { key: 'region', value: 'eu', previousValue: null },
      { key: 'tags', value: null, previousValue: ['a', 1] },
    ]);
    // Newest first, changes of one call share its time.
    const times = all.map((c) => Date.parse(c.changedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    expect(changes(await history('acme', 'plan'))).toEqual([
      { key: 'plan', value: 'free', previousValue: null },
      { key: 'plan', value: 'pro', previousValue: 'free' },
    ]);
    // Pages of two walk the same list.
    const paged: Change[] = [];
    let after: string | null = null;
    do {
      const data: { group: { propertyHistory: HistoryPage } } = await t.ok(HISTORY, { id: 'acme', first: 2, after });
      const page = data.group.propertyHistory;
      paged.push(...page.edges.map((e: { node: Change }) => e.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(all);
  });

  it('keeps a history that replays to the stored properties under concurrent upserts', async () => {
    const rng = seededRandom(5);
    const keys = ['plan', 'seats', 'region', 'tier'];
    const values = ['a', 'b', 1, 2, null, true, { x: 1 }];
    const calls = Array.from({ length: 40 }, () => {
      const properties: Record<string, unknown> = {};
      for (const k of keys) if (rng() < 0.5) properties[k] = values[Math.floor(rng() * values.length)];
      return properties;
    });
    await Promise.all(calls.map((properties) => t.ok(UPSERT, { input: { id: 'race', properties } })));
    const data = await t.ok(HISTORY, { id: 'race', first: 100 });
    const list = changes(await history('race'));
    expect(list.length).toBeLessThan(100);
    // Per key, each change starts where the previous one ended, and the last one is the stored value.
    for (const k of keys) {
      let current: unknown = null;
      for (const c of list.filter((c) => c.key === k)) {
        expect(c.previousValue).toEqual(current);
        expect(c.value).not.toEqual(c.previousValue);
        current = c.value;
      }
      expect(current).toEqual(data.group.properties[k] ?? null);
    }
  });

  it('goes with the group when it is deleted and is not visible from another project', async () => {
    await t.ok(UPSERT, { input: { id: 'temp', properties: { plan: 'pro' } } });
    const other = await t.createKey('root');
    expect((await t.ok(HISTORY, { id: 'temp' }, other)).group).toBeNull();
    expect(await history('temp')).toHaveLength(1);
    await t.ok(`mutation { deleteGroup(id: "temp") }`);
    await t.ok(UPSERT, { input: { id: 'temp', properties: { plan: 'pro' } } });
    expect(changes(await history('temp'))).toEqual([{ key: 'plan', value: 'pro', previousValue: null }]);
  });

  it('refuses a bad key or cursor with VALIDATION_FAILED', async () => {
    await t.ok(UPSERT, { input: { id: 'v', properties: { a: 1 } } });
    const bad = await t.gql(HISTORY, { id: 'v', after: 'nope' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    const empty = await t.gql(HISTORY, { id: 'v', key: '' });
    expect(empty.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});
