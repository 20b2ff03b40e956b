import { beforeAll, describe, expect, it } from 'vitest';

import { IdentifyDocument, SetGroupsDocument, UpsertGroupDocument } from '../src/sdk/index.ts';
import type { CreatedKey } from '../src/services/keys.ts';
import { useTestApp } from './helpers/app.ts';

// No N+1: a page of 50 groups with counts, activity, stats and a page of members
// each costs the same number of SQL statements as a page of 5.
const t = useTestApp();

const PAGE = `query($first: Int) {
  groups(first: $first) {
    edges { node {
      id name memberCount lastActiveAt
      stats { eventCount uniqueProfiles firstSeenAt lastSeenAt topEvents(limit: 3) { name count } }
      members(first: 5) { edges { joinedAt node { email } } }
    } }
  }
}`;

describe('batching', () => {
  let key: CreatedKey;
  beforeAll(async () => {
    key = await t.createKey('root');
    const groups = Array.from({ length: 50 }, (_, i) => `org_${String(i).padStart(2, '0')}`);
    for (const [i, id] of groups.entries()) {
      await t.ok(UpsertGroupDocument, { input: { id, type: 'company', name: `Org ${i}` } }, key);
    }
    for (let p = 0; p < 60; p++) {
      const profileId = `user_${p}`;
      await t.ok(IdentifyDocument, { input: { profileId, email: 'u@x.io' } }, key);
      const member = [groups[p % 50]!, groups[(p * 7) % 50]!];
      await t.ok(SetGroupsDocument, { input: { profileId, groupIds: member } }, key);
      await t.ok(
        `mutation($p: ID!) { track(input: { name: "report_exported", profileId: $p }) { duplicate } }`,
        { p: profileId },
        key,
      );
    }
  });

  async function statementsFor(first: number): Promise<{ count: number; groups: number }> {
    t.statements.length = 0;
    const data = await t.ok<{ groups: { edges: { node: { memberCount: number; stats: { eventCount: number } } }[] } }>(
      PAGE,
      { first },
      key,
    );
    const edges = data.groups.edges;
    // The data is real: every group has members and events.
    expect(edges.every((e) => e.node.memberCount > 0 && e.node.stats.eventCount > 0)).toBe(true);
    return { count: t.statements.length, groups: edges.length };
  }

  it('a page of 50 groups costs the same statements as a page of 5', async () => {
    const small = await statementsFor(5);
    const large = await statementsFor(50);
    expect(small.groups).toBe(5);
    expect(large.groups).toBe(50);
    expect(large.count).toBe(small.count);
    // And it is small: auth, groups (+counts), memberships, profiles, lastActiveAt, stats totals, top events.
    expect(large.count).toBeLessThanOrEqual(10);
  });
});
