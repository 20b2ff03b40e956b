import { describe, expect, it } from 'vitest';

import { createApp } from '../src/http/app.ts';
import { SetGroupsDocument } from '../src/sdk/index.ts';
import type { CreatedKey } from '../src/services/keys.ts';
import { MINUTE_MS } from '../src/time.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';
import { keyHeaders } from './helpers/http.ts';

// trackBatch (docs/architecture.md, "Write path"): per-item validation,
// exactly-once storage, one bulk statement per batch, event time rules and the
// batch size limit.
const t = useTestApp();

const BATCH = `mutation($events: [TrackInput!]!) {
  trackBatch(events: $events) {
    accepted duplicates
    rejected { index code message }
    items { index id status }
  }
}`;

interface BatchResult {
  accepted: number;
  duplicates: number;
  rejected: { index: number; code: string; message: string }[];
  items: { index: number; id: string | null; status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED' }[];
}

async function batch(events: Record<string, unknown>[], key: CreatedKey): Promise<BatchResult> {
  return (await t.ok<{ trackBatch: BatchResult }>(BATCH, { events }, key)).trackBatch;
}

const storedEvents = (key: CreatedKey) =>
  t.db.prisma.event.findMany({ where: { projectId: key.projectId }, orderBy: { id: 'asc' } });

describe('trackBatch', () => {
  it('rejects each invalid event alone, stores the valid ones and counts repeats as duplicates', async () => {
    const key = await t.createKey('write');
    const events = [
      { id: 'e1', name: 'signup', groups: ['org_a'], properties: { plan: 'pro', seats: 3 } },
      { id: 'e2', name: ' ' },
      { id: 'e3', name: 'x', groups: Array.from({ length: 101 }, (_, i) => `g${i}`) },
      { id: 'e1', name: 'signup again' },
      { name: 'no id', profileId: 'user_1' },
      { id: 'e4', name: 'x', properties: { nested: deep(11) } },
      { id: 'e5', name: 'report_exported', groups: ['org_a', 'org_b'] },
    ];
    const result = await batch(events, key);

    expect(result.accepted).toBe(3);
    expect(result.duplicates).toBe(1);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'VALIDATION_FAILED'],
      [2, 'VALIDATION_FAILED'],
      [5, 'VALIDATION_FAILED'],
    ]);
    expect(result.rejected[0]!.message).toMatch(/events\[1\]\.name/);
    expect(result.rejected[1]!.message).toMatch(/events\[2\]\.groups.*100/);
    expect(result.rejected[2]!.message).toMatch(/events\[5\]\.properties.*deep/);
    const serverId = result.items[4]!.id!;
    expect(result.items).toEqual([
      { index: 0, id: 'e1', status: 'ACCEPTED' },
      { index: 1, id: null, status: 'REJECTED' },
      { index: 2, id: null, status: 'REJECTED' },
      { index: 3, id: 'e1', status: 'DUPLICATE' },
      { index: 4, id: serverId, status: 'ACCEPTED' },
      { index: 5, id: null, status: 'REJECTED' },
      { index: 6, id: 'e5', status: 'ACCEPTED' },
    ]);

    const stored = await storedEvents(key);
    expect(stored.map((e) => e.id).sort()).toEqual(['e1', 'e5', serverId].sort());
    const e1 = stored.find((e) => e.id === 'e1')!;
    // The first occurrence of a repeated id is the one stored.
    expect(e1).toMatchObject({ name: 'signup', groupIds: ['org_a'], properties: { plan: 'pro', seats: 3 } });
    expect(stored.find((e) => e.id === serverId)).toMatchObject({ name: 'no id', profileId: 'user_1' });
    const eventGroups = await t.db.prisma.eventGroup.findMany({
      where: { projectId: key.projectId },
      orderBy: [{ eventId: 'asc' }, { groupId: 'asc' }],
    });
    expect(eventGroups.map((g) => [g.eventId, g.groupId])).toEqual([
      ['e1', 'org_a'],
      ['e5', 'org_a'],
      ['e5', 'org_b'],
    ]);
    const groups = await t.db.prisma.group.findMany({ where: { projectId: key.projectId }, orderBy: { id: 'asc' } });
    expect(groups.map((g) => [g.id, g.type])).toEqual([
      ['org_a', null],
      ['org_b', null],
    ]);
  });

  it('stores a retried batch once: the retry answers every event as a duplicate', async () => {
    const key = await t.createKey('write');
    const events = Array.from({ length: 50 }, (_, i) => ({
      id: `evt_${i}`,
      name: 'page_view',
      groups: [`org_${i % 3}`],
    }));
    const first = await batch(events, key);
    expect(first).toMatchObject({ accepted: 50, duplicates: 0, rejected: [] });
    const retry = await batch(events, key);
    expect(retry).toMatchObject({ accepted: 0, duplicates: 50, rejected: [] });
    expect(retry.items.every((item, i) => item.status === 'DUPLICATE' && item.id === `evt_${i}`)).toBe(true);
    // Half new, half already stored.
    const mixed = await batch(
      Array.from({ length: 50 }, (_, i) => ({ id: `evt_${i + 25}`, name: 'page_view' })),
      key,
    );
    expect(mixed).toMatchObject({ accepted: 25, duplicates: 25 });
    expect(await t.db.prisma.event.count({ where: { projectId: key.projectId } })).toBe(75);
    expect(await t.db.prisma.eventGroup.count({ where: { projectId: key.projectId } })).toBe(50);
  });

  it('concurrent copies of a batch store each event once; together they accept each event exactly once', async () => {
    const key = await t.createKey('write');
    const events = Array.from({ length: 200 }, (_, i) => ({
      id: `c_${i}`,
      name: 'x',
      profileId: `user_${i % 7}`,
      groups: [`org_${i % 5}`],
    }));
    const results = await Promise.all(Array.from({ length: 4 }, () => batch(events, key)));
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(200);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(600);
    // Each event is accepted by exactly one of the copies.
    for (let i = 0; i < events.length; i++) {
      expect(results.filter((r) => r.items[i]!.status === 'ACCEPTED')).toHaveLength(1);
    }
    expect(await t.db.prisma.event.count({ where: { projectId: key.projectId } })).toBe(200);
    expect(await t.db.prisma.eventGroup.count({ where: { projectId: key.projectId } })).toBe(200);
  });

  it('sends all valid events of a batch in one statement, however many there are', async () => {
    const key = await t.createKey('write');
    const statementsFor = async (n: number, prefix: string) => {
      t.statements.length = 0;
      const events = Array.from({ length: n }, (_, i) => ({
        id: `${prefix}_${i}`,
        name: 'x',
        profileId: `user_${i}`,
        groups: [`org_${i % 10}`],
      }));
      expect((await batch(events, key)).accepted).toBe(n);
      return [...t.statements];
    };
    const small = await statementsFor(2, 'small');
    const large = await statementsFor(500, 'large');
    expect(large.length).toBe(small.length);
    expect(large.filter((sql) => sql.includes('INSERT INTO "Event"'))).toHaveLength(1);
  });

  it('event time: defaults to receive time, accepts the past, rejects more than 1 hour ahead', async () => {
    const key = await t.createKey('write');
    const before = Date.now();
    const past = '2019-03-01T08:00:00.000Z';
    const soon = new Date(before + 50 * MINUTE_MS).toISOString();
    const tooLate = new Date(before + 61 * MINUTE_MS).toISOString();
    const result = await batch(
      [
        { id: 'now', name: 'x' },
        { id: 'past', name: 'x', timestamp: past },
        { id: 'soon', name: 'x', timestamp: soon },
        { id: 'late', name: 'x', timestamp: tooLate },
      ],
      key,
    );
    const after = Date.now();
    expect(result.accepted).toBe(3);
    expect(result.rejected).toEqual([
      { index: 3, code: 'VALIDATION_FAILED', message: expect.stringMatching(/events\[3\]\.timestamp.*1 hour/) },
    ]);
    const stored = new Map((await storedEvents(key)).map((e) => [e.id, e]));
    const received = stored.get('now')!.createdAt.getTime();
    expect(received).toBeGreaterThanOrEqual(before);
    expect(received).toBeLessThanOrEqual(after);
    expect(stored.get('past')!.createdAt.toISOString()).toBe(past);
    expect(stored.get('soon')!.createdAt.toISOString()).toBe(soon);
    expect(stored.has('late')).toBe(false);
  });

  it('an empty batch stores nothing and answers zeros', async () => {
    const key = await t.createKey('write');
    expect(await batch([], key)).toEqual({ accepted: 0, duplicates: 0, rejected: [], items: [] });
  });

  it('events inherit the profile’s current groups, as with track', async () => {
    const key = await t.createKey('write');
    await t.ok(SetGroupsDocument, { input: { profileId: 'u1', groupIds: ['org_m'] } }, key);
    await batch(
      [
        { id: 'inherits', name: 'x', profileId: 'u1', groups: ['team_t'] },
        { id: 'own_only', name: 'x', profileId: 'u1', groups: ['team_t'], inheritProfileGroups: false },
        { id: 'anonymous', name: 'x', groups: ['team_t'] },
      ],
      key,
    );
    const stored = new Map((await storedEvents(key)).map((e) => [e.id, e.groupIds]));
    expect(stored.get('inherits')).toEqual(['team_t', 'org_m']);
    expect(stored.get('own_only')).toEqual(['team_t']);
    expect(stored.get('anonymous')).toEqual(['team_t']);
  });

  it('a batch over the limit fails as a whole with VALIDATION_FAILED, not a 500', async () => {
    const app = createApp({ database: t.db, production: true, trackBatchMax: 3 });
    const key = await t.createKey('write');
    const send = async (n: number) => {
      const response = await app.fetch('http://test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...keyHeaders(key) },
        body: JSON.stringify({
          query: BATCH,
          variables: { events: Array.from({ length: n }, () => ({ id: uniqueId('evt'), name: 'x' })) },
        }),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const over = await send(4);
    // Counted before the variables are converted: the whole request is refused with 400.
    expect(over.status).toBe(400);
    expect(over.body.data ?? null).toBeNull();
    expect(over.body.errors[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(over.body.errors[0].message).toMatch(/at most 3 events/);
    expect(over.body.errors[0].extensions.maxBatchSize).toBe(3);
    expect(await t.db.prisma.event.count({ where: { projectId: key.projectId } })).toBe(0);
    const at = await send(3);
    expect(at.body.data.trackBatch.accepted).toBe(3);
  });

  it('a read key may not ingest', async () => {
    const key = await t.createKey('read');
    const result = await t.gql(BATCH, { events: [{ name: 'x' }] }, key);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await t.db.prisma.event.count({ where: { projectId: key.projectId } })).toBe(0);
  });
});

function deep(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { next: value };
  return value;
}
