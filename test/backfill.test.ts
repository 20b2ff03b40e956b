import { describe, expect, it } from 'vitest';

import { pick, seededRandom } from '../src/cli/demo/random.ts';
import { createServices, type Services } from '../src/services/index.ts';
import type { EventInput } from '../src/services/ingest.ts';
import { DAY_MS, HOUR_MS } from '../src/time.ts';
import { useTestApp } from './helpers/app.ts';

// backfillGroups tags the events of a group's members inside their membership
// spans, and moves every derived row with them: afterwards the consistency
// checker (a recomputation from the raw events) finds no difference, the tags
// equal an in-memory reference, and a repeat tags nothing.

const t = useTestApp();

async function project(): Promise<{ projectId: string; services: Services }> {
  const key = await t.createKey('root');
  return { projectId: key.projectId, services: createServices(t.db.prisma, { trackBatchMax: 1000 }) };
}

const NOW = new Date('2026-03-10T12:00:00Z');

interface Span {
  profileId: string;
  joinedAt: Date;
  leftAt: Date | null;
}

async function addSpans(projectId: string, groupId: string, spans: Span[]) {
  await t.db.prisma.group.upsert({
    where: { projectId_id: { projectId, id: groupId } },
    create: { projectId, id: groupId },
    update: {},
  });
  for (const s of spans) {
    await t.db.prisma.profile.upsert({
      where: { projectId_id: { projectId, id: s.profileId } },
      create: { projectId, id: s.profileId },
      update: {},
    });
  }
  // Past spans as stored rows (removeGroups can only end a membership now).
  await t.db.prisma.groupMembership.createMany({ data: spans.map((s) => ({ projectId, groupId, ...s })) });
}

function randomEvents(rng: () => number, count: number, prefix: string): EventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`,
    name: pick(rng, ['login', 'export', 'view']),
    profileId: rng() < 0.1 ? null : `u${Math.floor(rng() * 8)}`,
    groups: ['acme', 'other', 'team'].filter(() => rng() < 0.25),
    timestamp: new Date(NOW.getTime() - Math.floor(rng() * 10 * DAY_MS)),
    inheritProfileGroups: false,
  }));
}

async function storedGroups(projectId: string): Promise<Map<string, string[]>> {
  const rows = await t.db.prisma.event.findMany({ where: { projectId }, select: { id: true, groupIds: true } });
  return new Map(rows.map((r) => [r.id, r.groupIds]));
}

async function expectConsistent(services: Services, projectId: string) {
  const report = await services.consistency.check(projectId);
  expect(report.tables.filter((x) => x.missing + x.extra + x.wrong > 0)).toEqual([]);
}

describe('backfillGroups', () => {
  it('tags exactly the events in the membership spans, whatever the chunk size, and a repeat tags nothing', async () => {
    for (const seed of [1, 2, 3]) {
      const rng = seededRandom(seed);
      const { projectId, services } = await project();
      const events = randomEvents(rng, 400, 'e');
      await services.ingest.trackBatch(projectId, events, NOW);
      const day = (n: number) => new Date(NOW.getTime() - n * DAY_MS + Math.floor(rng() * 24) * HOUR_MS);
      const spans: Span[] = [];
      for (let u = 0; u < 8; u++) {
        if (rng() < 0.2) continue;
        // One to two spans, the later one maybe still open (one open span at most); they may overlap.
        const second = rng() < 0.5;
        spans.push({ profileId: `u${u}`, joinedAt: day(9), leftAt: second || rng() < 0.5 ? day(3 + rng() * 4) : null });
        if (second) spans.push({ profileId: `u${u}`, joinedAt: day(5), leftAt: rng() < 0.5 ? day(2) : null });
      }
      await addSpans(projectId, 'acme', spans);
      const from = rng() < 0.5 ? day(8) : null;
      const to = rng() < 0.5 ? day(3) : null;
      const profileIds = rng() < 0.5 ? ['u1', 'u2', 'u3', 'u5', 'nobody'] : null;
      const before = await storedGroups(projectId);

      // The reference: which events the backfill must tag.
      const expected = new Map(before);
      let toTag = 0;
      const profiles = new Set<string>();
      for (const e of events) {
        const groups = before.get(e.id!)!;
        if (expected.get(e.id!) !== groups) continue; // a repeated id: the first one counts
        const at = e.timestamp!.getTime();
        const p = e.profileId;
        const inSpan = spans.some(
          (s) => s.profileId === p && at >= s.joinedAt.getTime() && (s.leftAt === null || at < s.leftAt.getTime()),
        );
        const inRange = (!from || at >= from.getTime()) && (!to || at < to.getTime());
        const asked = !profileIds || profileIds.includes(p!);
        if (p && inSpan && inRange && asked && !groups.includes('acme')) {
          expected.set(e.id!, [...groups, 'acme']);
          toTag++;
          profiles.add(p);
        }
      }
      expect(toTag).toBeGreaterThan(0);
      const input = { groupId: 'acme', from, to, profileIds };
      expect(await services.backfill.pending(projectId, input)).toBe(toTag);
      const chunks: number[] = [];
      const result = await services.backfill.backfill(projectId, input, {
        chunkSize: 7 + Math.floor(rng() * 40),
        onChunk: (n) => chunks.push(n),
      });
      expect(result).toEqual({ taggedEvents: toTag, profiles: profiles.size });
      expect(chunks.length).toBeGreaterThan(1);
      expect(await storedGroups(projectId)).toEqual(expected);
      await expectConsistent(services, projectId);

      expect(await services.backfill.backfill(projectId, input)).toEqual({ taggedEvents: 0, profiles: 0 });
      expect(await storedGroups(projectId)).toEqual(expected);
    }
  });

  it('runs beside ingestion of the same profiles and a second backfill: no event lost, none tagged twice', async () => {
    const { projectId, services } = await project();
    const rng = seededRandom(9);
    const old = randomEvents(rng, 600, 'old').map((e) => ({ ...e, groups: [] }));
    await services.ingest.trackBatch(projectId, old, NOW);
    const members = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
    await services.memberships.setGroups(projectId, { profileId: 'u0', groupIds: ['acme'] }, {}, NOW);
    await addSpans(
      projectId,
      'acme',
      members
        .slice(1)
        .map((profileId) => ({ profileId, joinedAt: new Date(NOW.getTime() - 20 * DAY_MS), leftAt: null })),
    );
    await t.db.prisma.groupMembership.updateMany({
      where: { projectId, profileId: 'u0' },
      data: { joinedAt: new Date(NOW.getTime() - 20 * DAY_MS) },
    });
    const pending = await services.backfill.pending(projectId, { groupId: 'acme' });
    expect(pending).toBeGreaterThan(400);

    // New events of the same profiles and hours, inheriting the open memberships, while two backfills run.
    const fresh = Array.from({ length: 4 }, (_, w) =>
      randomEvents(seededRandom(100 + w), 150, `new${w}_`).map((e) => ({ ...e, inheritProfileGroups: true })),
    );
    const [a, b] = await Promise.all([
      services.backfill.backfill(projectId, { groupId: 'acme' }, { chunkSize: 25 }),
      services.backfill.backfill(projectId, { groupId: 'acme' }, { chunkSize: 40 }),
      ...fresh.map((batch) =>
        (async () => {
          for (let i = 0; i < batch.length; i += 30)
            await services.ingest.trackBatch(projectId, batch.slice(i, i + 30), NOW);
        })(),
      ),
    ]);
    expect(a!.taggedEvents + b!.taggedEvents).toBe(pending);

    const stored = await t.db.prisma.event.findMany({
      where: { projectId },
      select: { id: true, profileId: true, groupIds: true },
    });
    const ids = new Set([...old, ...fresh.flat()].map((e) => e.id));
    expect(stored.length).toBe(ids.size + 1); // and setGroups' assign_group event
    for (const e of stored) {
      expect(new Set(e.groupIds).size).toBe(e.groupIds.length);
      if (e.profileId) expect(e.groupIds).toContain('acme');
    }
    await expectConsistent(services, projectId);
  });
});

describe('setGroups since', () => {
  const SET = `mutation ($input: SetGroupsInput!) { setGroups(input: $input) { memberships { group { id } joinedAt } } }`;

  it('opens the membership at since, moves an open one back (never forward) and tags the events since then', async () => {
    const key = await t.createKey('root');
    const services = createServices(t.db.prisma, { trackBatchMax: 1000 });
    const base = Date.now() - 30 * DAY_MS;
    const events = Array.from({ length: 30 }, (_, i) => ({
      id: `s${i}`,
      name: 'view',
      profileId: 'jane',
      timestamp: new Date(base + i * DAY_MS),
    }));
    await services.ingest.trackBatch(key.projectId, events);
    const since = new Date(base + 10 * DAY_MS);
    const data = await t.ok(SET, { input: { profileId: 'jane', groupIds: ['acme'], since: since.toISOString() } }, key);
    expect(data.setGroups.memberships).toEqual([{ group: { id: 'acme' }, joinedAt: since.toISOString() }]);
    const tagged = async () =>
      (
        await t.db.prisma.event.findMany({
          where: { projectId: key.projectId, groupIds: { has: 'acme' }, name: 'view' },
        })
      )
        .map((e) => e.id)
        .sort();
    expect(await tagged()).toEqual(
      events
        .slice(10)
        .map((e) => e.id)
        .sort(),
    );

    const later = new Date(base + 20 * DAY_MS).toISOString();
    const same = await t.ok(SET, { input: { profileId: 'jane', groupIds: ['acme'], since: later } }, key);
    expect(same.setGroups.memberships[0].joinedAt).toBe(since.toISOString());
    const earlier = new Date(base + 5 * DAY_MS);
    await t.ok(SET, { input: { profileId: 'jane', groupIds: ['acme'], since: earlier.toISOString() } }, key);
    expect(await tagged()).toEqual(
      events
        .slice(5)
        .map((e) => e.id)
        .sort(),
    );
    await expectConsistent(services, key.projectId);

    const future = await t.gql(
      SET,
      { input: { profileId: 'jane', groupIds: ['acme'], since: new Date(Date.now() + DAY_MS).toISOString() } },
      key,
    );
    expect(future.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    const remove = await t.gql(
      `mutation ($input: SetGroupsInput!) { removeGroups(input: $input) { id } }`,
      { input: { profileId: 'jane', groupIds: ['acme'], since: since.toISOString() } },
      key,
    );
    expect(remove.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });

  it('backfillGroups answers through GraphQL for root keys, refuses write and read keys and bad input', async () => {
    const root = await t.createKey('root');
    const write = await t.createKey('write', root.projectId);
    const read = await t.createKey('read', root.projectId);
    const BACKFILL = `mutation ($input: BackfillGroupsInput!) { backfillGroups(input: $input) { taggedEvents profiles } }`;
    await t.ok(`mutation { setGroups(input: { profileId: "p", groupIds: ["g"] }) { id } }`, {}, write);
    expect((await t.ok(BACKFILL, { input: { groupId: 'g' } }, root)).backfillGroups).toEqual({
      taggedEvents: 0,
      profiles: 0,
    });
    for (const key of [write, read]) {
      expect((await t.gql(BACKFILL, { input: { groupId: 'g' } }, key)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const bad = await t.gql(
      BACKFILL,
      { input: { groupId: 'g', from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } },
      root,
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});
