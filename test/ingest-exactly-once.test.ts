import { describe, expect, it } from 'vitest';

import { EventAggregationDocument, TrackBatchDocument } from '../src/sdk/index.ts';
import { SECOND_MS } from '../src/time.ts';
import { useTestApp } from './helpers/app.ts';

// Acceptance 2 of issue 5: 10,000 events in batches of 500, every batch sent
// twice at once and all of them replayed later; exactly 10,000 are stored, the
// group index matches the events' groups, and the aggregates agree.
const t = useTestApp();

const EVENTS = 10_000;
const BATCH_SIZE = 500;
/** Ids repeated inside each batch (duplicates within one statement). */
const REPEATS_PER_BATCH = 5;
const PROFILES = 40;
const MEMBERS = 20;
const NAMES = ['page_view', 'dashboard_viewed', 'report_exported', 'file_shared'];

interface Event {
  id: string;
  name: string;
  profileId?: string;
  groups: string[];
  timestamp: string;
}

/** Runs the tasks with at most `limit` in flight. */
async function inParallel<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

describe('exactly-once ingestion at scale', () => {
  it(`stores ${EVENTS} events once when every batch is sent twice concurrently and replayed`, async () => {
    const key = await t.createKey('root');
    const send = async (events: Event[]) => {
      const { trackBatch } = await t.ok(TrackBatchDocument, { events }, key);
      expect(trackBatch.rejected).toEqual([]);
      return trackBatch;
    };

    // Half the profiles belong to a group, which their events inherit.
    const memberships = new Map<string, string>();
    for (let p = 0; p < MEMBERS; p++) memberships.set(`user_${p}`, `org_member_${p % 4}`);
    for (const [profileId, groupId] of memberships) {
      await t.ok(
        `mutation($p: ID!, $g: ID!) { setGroup(profileId: $p, groupId: $g) { id } }`,
        {
          p: profileId,
          g: groupId,
        },
        key,
      );
    }

    const start = Date.parse('2026-06-01T00:00:00Z');
    const events: Event[] = Array.from({ length: EVENTS }, (_, i) => ({
      id: `evt_${i}`,
      name: NAMES[i % NAMES.length]!,
      ...(i % 9 === 0 ? {} : { profileId: `user_${i % PROFILES}` }),
      groups: i % 4 === 0 ? [`org_${i % 12}`, `team_${i % 5}`] : i % 13 === 0 ? [] : [`org_${i % 12}`],
      timestamp: new Date(start + i * 37 * SECOND_MS).toISOString(),
    }));
    const batches: Event[][] = [];
    for (let i = 0; i < events.length; i += BATCH_SIZE) {
      const chunk = events.slice(i, i + BATCH_SIZE);
      batches.push([...chunk, ...chunk.slice(0, REPEATS_PER_BATCH)]);
    }

    // Every batch twice at the same time (four pairs in flight), then all again.
    const first = (
      await inParallel(
        batches.map((b) => () => Promise.all([send(b), send(b)])),
        4,
      )
    ).flat();
    const replay = await inParallel(
      batches.map((b) => () => send(b)),
      4,
    );

    const sent = batches.reduce((n, b) => n + b.length, 0);
    expect(first.reduce((n, r) => n + r.accepted, 0)).toBe(EVENTS);
    expect(first.reduce((n, r) => n + r.duplicates, 0)).toBe(2 * sent - EVENTS);
    expect(replay.reduce((n, r) => n + r.accepted, 0)).toBe(0);
    expect(replay.reduce((n, r) => n + r.duplicates, 0)).toBe(sent);

    // Exactly the events sent, each once.
    const stored = await t.db.prisma.event.findMany({
      where: { projectId: key.projectId, name: { in: NAMES } },
      select: { id: true, groupIds: true },
    });
    expect(stored).toHaveLength(EVENTS);
    expect(new Set(stored.map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));

    // The group index holds one row per (event, group): its own ∪ its profile's membership.
    const expectedGroups = new Map(
      events.map((e) => {
        const inherited = e.profileId ? memberships.get(e.profileId) : undefined;
        return [e.id, [...new Set([...e.groups, ...(inherited ? [inherited] : [])])].sort()];
      }),
    );
    for (const e of stored) expect([...e.groupIds].sort(), e.id).toEqual(expectedGroups.get(e.id));
    const index = await t.db.prisma.eventGroup.findMany({
      where: { projectId: key.projectId, name: { in: NAMES } },
      select: { eventId: true, groupId: true },
    });
    const pairs = (list: [string, string][]) => list.map(([e, g]) => `${e}/${g}`).sort();
    expect(pairs(index.map((r) => [r.eventId, r.groupId]))).toEqual(
      pairs([...expectedGroups].flatMap(([id, groups]) => groups.map((g): [string, string] => [id, g]))),
    );

    // What GraphQL reports per group agrees with what was sent.
    const perGroup = new Map<string, { events: number; profiles: Set<string> }>();
    for (const e of events) {
      for (const g of expectedGroups.get(e.id)!) {
        const entry = perGroup.get(g) ?? { events: 0, profiles: new Set<string>() };
        entry.events++;
        if (e.profileId) entry.profiles.add(e.profileId);
        perGroup.set(g, entry);
      }
    }
    const page = await t.ok<{
      groups: { edges: { node: { id: string; stats: { eventCount: number; uniqueProfiles: number } } }[] };
    }>(`{ groups(first: 100) { edges { node { id stats { eventCount uniqueProfiles } } } } }`, {}, key);
    const reported = new Map(page.groups.edges.map((e) => [e.node.id, e.node.stats]));
    expect([...reported.keys()].sort()).toEqual([...perGroup.keys()].sort());
    for (const [id, expected] of perGroup) {
      const stats = reported.get(id)!;
      // setGroup's assign_group events also count for the member groups.
      const assignEvents = [...memberships.values()].filter((g) => g === id).length;
      expect(stats.eventCount, id).toBe(expected.events + assignEvents);
      expect(stats.uniqueProfiles, id).toBe(
        new Set([...expected.profiles, ...[...memberships].filter(([, g]) => g === id).map(([p]) => p)]).size,
      );
    }

    // The rollups behind eventAggregation counted every event once, too.
    const { eventAggregation } = await t.ok(
      EventAggregationDocument,
      {
        input: {
          metric: 'EVENTS',
          breakdown: 'GROUP',
          limit: 100,
          from: events[0]!.timestamp,
          to: new Date(Date.parse(events.at(-1)!.timestamp) + 1000).toISOString(),
          filter: { eventNames: NAMES },
        },
      },
      key,
    );
    expect(eventAggregation.total).toBe(EVENTS);
    const ungrouped = events.filter((e) => expectedGroups.get(e.id)!.length === 0).length;
    expect(new Map(eventAggregation.series.map((s) => [s.key, s.total]))).toEqual(
      new Map<string | null, number>([
        ...[...perGroup].map(([id, { events: n }]): [string, number] => [id, n]),
        ...(ungrouped > 0 ? [[null, ungrouped] as [null, number]] : []),
      ]),
    );
  });
});
