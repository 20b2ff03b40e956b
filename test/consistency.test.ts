import { describe, expect, it } from 'vitest';

import { seededRandom, pick } from '../src/cli/demo/random.ts';
import { ConsistencyService } from '../src/services/consistency.ts';
import { createServices, type Services } from '../src/services/index.ts';
import type { EventInput } from '../src/services/ingest.ts';
import { HOUR_MS } from '../src/time.ts';
import { useTestApp } from './helpers/app.ts';

// Every row the ingest statement keeps beside the events (EventGroup, group
// sets, hourly rollups, daily activity) must equal a recomputation from the
// stored events, whatever the order, concurrency and repetition of the writes.
// The checker that says so must also notice when a row is off.

const t = useTestApp();

/** Services over the test database, and a project (made by creating its key). */
async function project(): Promise<{ projectId: string; services: Services }> {
  const key = await t.createKey('root');
  return { projectId: key.projectId, services: createServices(t.db.prisma, { trackBatchMax: 1000 }) };
}

/** Random events: retried ids, several groups or none, anonymous ones, hours across days. */
function randomEvents(seed: number, count: number, base: number): EventInput[] {
  const rng = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const groups = ['g1', 'g2', 'g3', 'team_a', 'team_b'].filter(() => rng() < 0.3);
    return {
      id: `e${Math.floor(rng() * count * 0.8)}`, // about one in five is a repeat
      name: pick(rng, ['login', 'page_view', 'export']),
      profileId: rng() < 0.15 ? null : `u${i % 11}`,
      groups,
      timestamp: new Date(base - Math.floor(rng() * 72 * HOUR_MS)),
      inheritProfileGroups: rng() < 0.5,
    };
  });
}

describe('the consistency checker', () => {
  it('finds random, concurrent and repeated writes consistent, including the daily activity rows', async () => {
    const { projectId, services } = await project();
    await services.memberships.setGroups(projectId, { profileId: 'u1', groupIds: ['g1', 'team_a'] });
    const now = new Date('2026-03-04T00:00:00Z');
    const events = randomEvents(7, 600, now.getTime());
    // Four writers at once, overlapping ids: each event is stored once.
    await Promise.all(
      [0, 1, 2, 3].map((w) => services.ingest.trackBatch(projectId, events.slice(w * 120, w * 120 + 240), now)),
    );
    const report = await services.consistency.check(projectId);
    // The tracked events, and the assign_group event setGroups records.
    expect(report.events).toBe(new Set(events.map((e) => e.id)).size + 1);
    expect(report.tables.filter((x) => x.missing + x.extra + x.wrong > 0)).toEqual([]);
    expect(report.consistent).toBe(true);

    // The activity rows hold what the events say: a profile's hour bits and counts.
    const prisma = t.db.prisma;
    const stored = await prisma.event.findMany({ where: { projectId, profileId: 'u3' } });
    const days = await prisma.profileActivityDay.findMany({ where: { projectId, profileId: 'u3' } });
    expect(days.reduce((n, d) => n + d.events, 0)).toBe(stored.length);
    for (const day of days) {
      const hours = stored
        .filter((e) => e.createdAt.toISOString().slice(0, 10) === day.day.toISOString().slice(0, 10))
        .reduce((bits, e) => bits | (1 << e.createdAt.getUTCHours()), 0);
      expect(day.hours).toBe(hours);
    }
  });

  it('reports a missing, an extra and a wrong row, each in its table', async () => {
    const { projectId, services } = await project();
    const now = new Date('2026-03-04T00:00:00Z');
    await services.ingest.trackBatch(projectId, randomEvents(11, 200, now.getTime()), now);
    const prisma = t.db.prisma;
    const checker = new ConsistencyService(prisma);
    expect((await checker.check(projectId)).consistent).toBe(true);

    const day = await prisma.groupActivityDay.findFirstOrThrow({ where: { projectId } });
    await prisma.groupActivityDay.update({
      where: { projectId_day_groupId: { projectId, day: day.day, groupId: day.groupId } },
      data: { hours: day.hours ^ 1 },
    });
    const name = await prisma.rollupHourName.findFirstOrThrow({ where: { projectId } });
    await prisma.rollupHourName.delete({
      where: {
        projectId_hour_groupSet_name: { projectId, hour: name.hour, groupSet: name.groupSet, name: name.name },
      },
    });
    await prisma.profileActivityDay.create({
      data: { projectId, day: new Date('2020-01-01'), profileId: 'ghost', hours: 1, events: 1 },
    });
    await prisma.eventGroup.deleteMany({ where: { projectId, groupId: 'g2' } });

    const report = await checker.check(projectId);
    expect(report.consistent).toBe(false);
    const differing = Object.fromEntries(
      report.tables.filter((x) => x.missing + x.extra + x.wrong > 0).map((x) => [x.table, x]),
    );
    expect(Object.keys(differing).sort()).toEqual([
      'EventGroup',
      'GroupActivityDay',
      'ProfileActivityDay',
      'RollupHourName',
    ]);
    expect(differing.GroupActivityDay).toMatchObject({ missing: 0, extra: 0, wrong: 1 });
    expect(differing.RollupHourName).toMatchObject({ missing: 1, extra: 0, wrong: 0 });
    expect(differing.ProfileActivityDay).toMatchObject({ missing: 0, extra: 1, wrong: 0 });
    expect(differing.EventGroup!.missing).toBeGreaterThan(0);
    expect(differing.GroupActivityDay!.examples[0]).toMatchObject({
      expected: { groupId: day.groupId, hours: day.hours },
      actual: { groupId: day.groupId, hours: day.hours ^ 1 },
    });
  });

  it('checks one project only', async () => {
    const { projectId: a, services } = await project();
    const { projectId: b } = await project();
    const now = new Date('2026-03-04T00:00:00Z');
    await services.ingest.trackBatch(a, randomEvents(3, 50, now.getTime()), now);
    await services.ingest.trackBatch(b, randomEvents(4, 50, now.getTime()), now);
    await t.db.prisma.rollupHour.deleteMany({ where: { projectId: b } });
    expect((await services.consistency.check(a)).consistent).toBe(true);
    expect((await services.consistency.check(b)).consistent).toBe(false);
  });
});
