import { describe, expect, it } from 'vitest';

import { SetGroupsDocument, UpsertGroupDocument } from '../src/sdk/index.ts';
import { useTestApp } from './helpers/app.ts';

// Writers racing on one row. On PostgreSQL these run on separate pooled
// connections; on PGlite they are serialized, and must still hold.
const t = useTestApp();

describe('concurrency', () => {
  it('20 concurrent upsertGroup calls with different keys lose no update', async () => {
    const key = await t.createKey('root');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.gql(UpsertGroupDocument, { input: { id: 'org_race', type: 'company', properties: { [`k${i}`]: i } } }, key),
      ),
    );
    expect(results.every((r) => !r.errors)).toBe(true);
    const group = await t.db.prisma.group.findUniqueOrThrow({
      where: { projectId_id: { projectId: key.projectId, id: 'org_race' } },
    });
    expect(group.properties).toEqual(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])));
  });

  it('concurrent setGroups of the same pair leave one current membership and one assign_group event', async () => {
    const key = await t.createKey('root');
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.gql(SetGroupsDocument, { input: { profileId: 'u', groupIds: ['g1', 'g2'] } }, key),
      ),
    );
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    const memberships = await t.db.prisma.groupMembership.findMany({ where: { projectId: key.projectId } });
    expect(memberships.map((m) => [m.groupId, m.leftAt]).sort()).toEqual([
      ['g1', null],
      ['g2', null],
    ]);
    const assigned = await t.db.prisma.event.findMany({ where: { projectId: key.projectId, name: 'assign_group' } });
    expect(assigned.map((e) => e.properties)).toEqual([{ added: ['g1', 'g2'] }]);
  });

  it('concurrent tracks of one event id store it once; all but one answer duplicate', async () => {
    const key = await t.createKey('write');
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.gql(`mutation { track(input: { id: "evt-1", name: "x", groups: ["a", "b"] }) { duplicate } }`, {}, key),
      ),
    );
    expect(results.filter((r) => r.data?.track.duplicate === false)).toHaveLength(1);
    expect(results.filter((r) => r.data?.track.duplicate === true)).toHaveLength(9);
    expect(await t.db.prisma.event.count({ where: { projectId: key.projectId } })).toBe(1);
    expect(await t.db.prisma.eventGroup.count({ where: { projectId: key.projectId } })).toBe(2);
  });

  it('concurrent tracks naming the same new groups create each placeholder once', async () => {
    const key = await t.createKey('write');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.gql(
          `mutation($g: [ID!]!) { track(input: { name: "x", groups: $g }) { duplicate } }`,
          { g: i % 2 ? ['p1', 'p2', 'p3'] : ['p3', 'p2', 'p1'] },
          key,
        ),
      ),
    );
    expect(results.map((r) => r.errors)).toEqual(results.map(() => undefined));
    expect(await t.db.prisma.group.count({ where: { projectId: key.projectId } })).toBe(3);
    expect(await t.db.prisma.event.count({ where: { projectId: key.projectId } })).toBe(10);
  });
});
