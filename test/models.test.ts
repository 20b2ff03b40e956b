import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { uniqueId } from './helpers/app.ts';

// The SQL migrations are written by hand; reading and writing every model through
// the generated client proves each column Prisma knows exists with a matching type.
describe('Prisma models agree with the migration SQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.dispose());

  it('reads and writes every model and relation', async () => {
    const prisma = db.prisma;
    const projectId = uniqueId('project');
    const at = new Date('2026-03-01T10:00:00.123Z');

    const project = await prisma.project.create({
      data: { id: projectId, inheritProfileGroups: false, allowedOrigins: ['https://app.example'] },
    });
    expect(project).toMatchObject({ inheritProfileGroups: false, allowedOrigins: ['https://app.example'] });

    await prisma.apiClient.create({
      data: { projectId, id: uniqueId('client'), secretHash: 'scrypt$x', mode: 'read', name: 'n', revokedAt: at },
    });
    await prisma.profile.create({
      data: {
        projectId,
        id: 'u1',
        firstName: 'Jane',
        lastName: 'Doe',
        email: 'j@x.io',
        avatar: 'a.png',
        properties: { n: 1 },
      },
    });
    await prisma.group.create({
      data: { projectId, id: 'g1', type: 'company', name: 'Acme', properties: { seats: 25 } },
    });
    const membership = await prisma.groupMembership.create({
      data: { projectId, profileId: 'u1', groupId: 'g1', joinedAt: at, leftAt: at },
    });
    expect(typeof membership.id).toBe('bigint');
    await prisma.event.create({
      data: {
        projectId,
        id: 'e1',
        name: 'x',
        profileId: 'u1',
        deviceId: 'd',
        sessionId: 's',
        groupIds: ['g1'],
        properties: { deep: { a: [1, 'b', null] } },
        createdAt: at,
        receivedAt: at,
      },
    });
    await prisma.eventGroup.create({
      data: { projectId, groupId: 'g1', createdAt: at, eventId: 'e1', name: 'x', profileId: 'u1' },
    });

    const loaded = await prisma.project.findUniqueOrThrow({
      where: { id: projectId },
      include: {
        apiClients: true,
        profiles: { include: { memberships: { include: { group: true, profile: true } } } },
        groups: { include: { memberships: true } },
      },
    });
    expect(loaded.apiClients[0]).toMatchObject({ mode: 'read', name: 'n', revokedAt: at });
    expect(loaded.profiles[0]).toMatchObject({
      firstName: 'Jane',
      lastName: 'Doe',
      email: 'j@x.io',
      avatar: 'a.png',
      properties: { n: 1 },
    });
    expect(loaded.profiles[0]!.memberships[0]).toMatchObject({
      joinedAt: at,
      leftAt: at,
      group: { name: 'Acme' },
      profile: { id: 'u1' },
    });
    expect(loaded.groups[0]).toMatchObject({ type: 'company', properties: { seats: 25 } });
    expect(loaded.groups[0]!.memberships).toHaveLength(1);
    expect(await prisma.event.findUniqueOrThrow({ where: { projectId_id: { projectId, id: 'e1' } } })).toMatchObject({
      groupIds: ['g1'],
      properties: { deep: { a: [1, 'b', null] } },
      createdAt: at,
      receivedAt: at,
      deviceId: 'd',
      sessionId: 's',
    });
    expect(await prisma.eventGroup.count({ where: { projectId } })).toBe(1);

    await prisma.group.update({ where: { projectId_id: { projectId, id: 'g1' } }, data: { name: 'Acme Inc' } });
    await prisma.project.delete({ where: { id: projectId } });
    expect(await prisma.profile.count({ where: { projectId } })).toBe(0);
  });

  it('reads and writes the device, group-set, rollup and activity models', async () => {
    const prisma = db.prisma;
    const projectId = uniqueId('project');
    const day = new Date('2026-03-01T00:00:00.000Z');
    const hour = new Date('2026-03-01T10:00:00.000Z');
    await prisma.project.create({ data: { id: projectId } });

    await prisma.deviceSalt.create({ data: { projectId, day, salt: 's' } });
    await prisma.deviceSession.create({
      data: { projectId, deviceId: 'd', sessionId: 's1', startedAt: hour, lastSeenAt: hour },
    });
    await prisma.groupSet.create({ data: { projectId, groupSet: 'k', groupIds: ['g1', 'g2'] } });
    await prisma.rollupHour.create({ data: { projectId, hour, groupSet: 'k', events: 3 } });
    await prisma.rollupHourProfile.create({ data: { projectId, hour, groupSet: 'k', profileId: 'u1', events: 2 } });
    await prisma.rollupHourName.create({ data: { projectId, hour, groupSet: 'k', name: 'x', events: 1 } });

    expect(await prisma.deviceSalt.findMany({ where: { projectId } })).toEqual([{ projectId, day, salt: 's' }]);
    expect(await prisma.deviceSession.findMany({ where: { projectId } })).toEqual([
      { projectId, deviceId: 'd', sessionId: 's1', startedAt: hour, lastSeenAt: hour },
    ]);
    expect(await prisma.groupSet.findMany({ where: { projectId } })).toEqual([
      { projectId, groupSet: 'k', groupIds: ['g1', 'g2'] },
    ]);
    const key = { projectId, hour, groupSet: 'k' };
    await prisma.rollupHour.update({
      where: { projectId_hour_groupSet: key },
      data: { events: { increment: 1 } },
    });
    expect(await prisma.rollupHour.findMany({ where: { projectId } })).toEqual([{ ...key, events: 4 }]);
    expect(await prisma.rollupHourProfile.findMany({ where: { projectId } })).toEqual([
      { ...key, profileId: 'u1', events: 2 },
    ]);
    expect(await prisma.rollupHourName.findMany({ where: { projectId } })).toEqual([{ ...key, name: 'x', events: 1 }]);
    // One row per key: a second one for the same hour and set is refused.
    await expect(prisma.rollupHour.create({ data: { ...key, events: 1 } })).rejects.toThrow();

    await prisma.groupActivityDay.create({ data: { projectId, day, groupId: 'g1', hours: 1 << 23, events: 2 } });
    await prisma.profileActivityDay.create({ data: { projectId, day, profileId: 'u1', hours: 5, events: 3 } });
    expect(await prisma.groupActivityDay.findMany({ where: { projectId } })).toEqual([
      { projectId, day, groupId: 'g1', hours: 1 << 23, events: 2 },
    ]);
    expect(await prisma.profileActivityDay.findMany({ where: { projectId } })).toEqual([
      { projectId, day, profileId: 'u1', hours: 5, events: 3 },
    ]);
    await expect(
      prisma.groupActivityDay.create({ data: { projectId, day, groupId: 'g1', hours: 1, events: 1 } }),
    ).rejects.toThrow();
  });

  it('reads and writes property history, which goes with its group', async () => {
    const prisma = db.prisma;
    const projectId = uniqueId('project');
    const at = new Date('2026-03-01T10:00:00.123Z');
    await prisma.project.create({ data: { id: projectId } });
    await prisma.group.create({ data: { projectId, id: 'g1', properties: { plan: 'pro' } } });
    const change = await prisma.groupPropertyChange.create({
      data: { projectId, groupId: 'g1', key: 'plan', value: 'pro', previousValue: { tier: [1, null] }, changedAt: at },
    });
    expect(typeof change.id).toBe('bigint');
    expect(await prisma.groupPropertyChange.findMany({ where: { projectId } })).toEqual([
      {
        projectId,
        id: change.id,
        groupId: 'g1',
        key: 'plan',
        value: 'pro',
        previousValue: { tier: [1, null] },
        changedAt: at,
      },
    ]);
    // The group must exist (the key includes the project), and deleting it deletes its history.
    await expect(
      prisma.groupPropertyChange.create({ data: { projectId, groupId: 'missing', key: 'k', changedAt: at } }),
    ).rejects.toThrow();
    await prisma.group.delete({ where: { projectId_id: { projectId, id: 'g1' } } });
    expect(await prisma.groupPropertyChange.count({ where: { projectId } })).toBe(0);
  });

  it('allows one current membership per profile and group, and any number of past ones', async () => {
    const prisma = db.prisma;
    const projectId = uniqueId('project');
    await prisma.project.create({ data: { id: projectId } });
    await prisma.profile.create({ data: { projectId, id: 'u1' } });
    const past = new Date('2026-01-01T00:00:00Z');
    await prisma.groupMembership.create({ data: { projectId, profileId: 'u1', groupId: 'g', leftAt: past } });
    await prisma.groupMembership.create({ data: { projectId, profileId: 'u1', groupId: 'g', leftAt: past } });
    await prisma.groupMembership.create({ data: { projectId, profileId: 'u1', groupId: 'g' } });
    await expect(
      prisma.groupMembership.create({ data: { projectId, profileId: 'u1', groupId: 'g' } }),
    ).rejects.toThrow();
  });
});
