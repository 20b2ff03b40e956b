import { connect } from 'node:net';

import { beforeAll, describe, expect, it, vi } from 'vitest';

import { pick, seededRandom } from '../src/cli/demo/random.ts';
import type { CreatedKey } from '../src/services/keys.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';
import { subscribe, type SseMessage, type Subscription } from './helpers/sse.ts';

// Subscription.events over SSE, against a server on a real socket (the slow
// consumer needs TCP's backpressure), on this file's engine. Across server
// processes on PostgreSQL: test/live.processes.test.ts.
const t = useTestApp({ transport: 'http' });

const LIVE = /* GraphQL */ `
  subscription Live($filter: EventFilter) {
    events(filter: $filter) {
      id
      name
      profileId
      groupIds
      properties
    }
  }
`;

const open = (variables: Record<string, unknown>, key: CreatedKey = t.rootKey) =>
  subscribe(`${t.url}/graphql`, LIVE, variables, key);

interface SentEvent {
  id: string;
  name: string;
  profileId?: string;
  groups: string[];
}

/** The reference: which sent events a filter keeps (groups typed as in `types`). */
function matches(filter: Record<string, any>, e: SentEvent, types: Record<string, string>): boolean {
  if (filter.eventNames && !filter.eventNames.includes(e.name)) return false;
  if (filter.profileId && e.profileId !== filter.profileId) return false;
  if (filter.groupIds && !e.groups.some((g) => filter.groupIds.includes(g))) return false;
  if (filter.groupType && !e.groups.some((g) => types[g] === filter.groupType)) return false;
  return true;
}

async function nextEvent(sub: Subscription): Promise<Record<string, any>> {
  const message: SseMessage = await sub.next();
  expect(message.event).toBe('next');
  if (message.event !== 'next') throw new Error('stream completed');
  expect(message.data.errors).toBeUndefined();
  return message.data.data!.events;
}

describe('Subscription.events', () => {
  let key: CreatedKey;
  const types: Record<string, string> = {};

  beforeAll(async () => {
    key = await t.createKey('root');
    for (const [id, type] of [
      ['org_c1', 'company'],
      ['org_c2', 'company'],
      ['org_w1', 'workspace'],
    ] as const) {
      types[id] = type;
      await t.ok(`mutation { upsertGroup(input: { id: "${id}", type: "${type}" }) { id } }`, {}, key);
    }
  });

  it('delivers every matching event in commit order, for each kind of filter', async () => {
    const filters: Record<string, any>[] = [
      {},
      { groupIds: ['org_c1'] },
      { groupType: 'workspace' },
      { eventNames: ['signup', 'export'] },
      { profileId: 'u1' },
      { groupType: 'company', eventNames: ['export'] },
    ];
    const subs = await Promise.all(filters.map((filter) => open({ filter }, key)));
    for (const sub of subs) expect(sub.status).toBe(200);

    const rng = seededRandom(18);
    const sent: SentEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const groups = ['org_c1', 'org_c2', 'org_w1', 'org_new'].filter(() => rng() < 0.35);
      const event: SentEvent = {
        id: uniqueId('evt'),
        name: pick(rng, ['signup', 'export', 'view']),
        profileId: rng() < 0.8 ? pick(rng, ['u1', 'u2', 'u3']) : undefined,
        groups,
      };
      sent.push(event);
      await t.ok(
        'mutation($input: TrackInput!) { track(input: $input) { duplicate } }',
        { input: { ...event, inheritProfileGroups: false } },
        key,
      );
    }
    // A last event every filter keeps: once it arrives, everything before it has.
    const last: SentEvent = { id: uniqueId('evt_last'), name: 'export', profileId: 'u1', groups: ['org_c1', 'org_w1'] };
    sent.push(last);
    await t.ok('mutation($input: TrackInput!) { track(input: $input) { duplicate } }', { input: last }, key);

    for (const [i, sub] of subs.entries()) {
      const expected = sent.filter((e) => matches(filters[i]!, e, types)).map((e) => e.id);
      const received: string[] = [];
      while (received.at(-1) !== last.id) received.push((await nextEvent(sub)).id);
      expect(received, JSON.stringify(filters[i])).toEqual(expected);
      await sub.close();
    }
  });

  it('delivers a batch, with the groups the server resolved', async () => {
    const sub = await open({ filter: { groupIds: ['org_w1'] } }, key);
    await t.ok('mutation { setGroups(input: { profileId: "u_member", groupIds: ["org_w1"] }) { id } }', {}, key);
    // setGroups records an assign_group event tagged with the group.
    expect((await nextEvent(sub)).name).toBe('assign_group');
    const ids = [uniqueId('b'), uniqueId('b')];
    await t.ok(
      'mutation($events: [TrackInput!]!) { trackBatch(events: $events) { accepted } }',
      { events: ids.map((id) => ({ id, name: 'batch', profileId: 'u_member', properties: { n: 1 } })) },
      key,
    );
    const got = [await nextEvent(sub), await nextEvent(sub)];
    expect(got.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(got[0]!.groupIds).toEqual(['org_w1']);
    expect(got[0]!.properties).toEqual({ n: 1 });
    await sub.close();
  });

  it("never delivers another project's events", async () => {
    const other = await t.createKey('root');
    const sub = await open({ filter: {} }, other);
    await t.ok('mutation { track(input: { name: "secret", groups: ["org_c1"] }) { duplicate } }', {}, key);
    const mine = uniqueId('mine');
    await t.ok(`mutation { track(input: { id: "${mine}", name: "own" }) { duplicate } }`, {}, other);
    expect((await nextEvent(sub)).id).toBe(mine);
    await sub.close();
  });

  it('is refused to write keys, and checks its filter', async () => {
    const writer = await t.createKey('write', key.projectId);
    const refused = await open({}, writer);
    const message = await refused.next();
    expect(message.event === 'next' && message.data.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await refused.close();

    const invalid = await open({ filter: { profileId: 'x'.repeat(500) } }, key);
    const error = await invalid.next();
    expect(error.event === 'next' && error.data.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    await invalid.close();

    // A cohort is looked up when the subscription starts, as for Query.events.
    const unknownCohort = await open({ filter: { cohortId: 'no_such_cohort' } }, key);
    const refusedCohort = await unknownCohort.next();
    expect(refusedCohort.event === 'next' && refusedCohort.data.errors?.[0]?.extensions?.code).toBe(
      'VALIDATION_FAILED',
    );
    await unknownCohort.close();
  });

  it('ends a consumer that never reads with SLOW_CONSUMER once its buffer is full', async () => {
    const project = await t.createKey('root');
    // A raw socket that sends the request and then reads nothing: once the socket
    // buffers are full the server stops taking events from the subscription, which
    // then buffers them, up to its limit.
    const { hostname: host, port } = new URL(t.url);
    const body = JSON.stringify({ query: LIVE, variables: {} });
    const socket = connect(Number(port), host);
    socket.write(
      [
        'POST /graphql HTTP/1.1',
        `host: ${host}:${port}`,
        'content-type: application/json',
        'accept: text/event-stream',
        `openpanel-client-id: ${project.clientId}`,
        `openpanel-client-secret: ${project.clientSecret}`,
        `content-length: ${Buffer.byteLength(body)}`,
        'connection: close',
        '',
        body,
      ].join('\r\n'),
    );
    await vi.waitFor(() => expect(t.app.liveSubscribers()).toBeGreaterThan(0));
    const before = t.app.liveSubscribers();

    // 16 KB of properties an event: 2,000 events are far more than socket buffers and the subscription's buffer hold.
    const padding = 'x'.repeat(16_000);
    for (let batch = 0; batch < 8; batch++) {
      await t.ok(
        'mutation($events: [TrackInput!]!) { trackBatch(events: $events) { accepted } }',
        { events: Array.from({ length: 250 }, (_, i) => ({ name: 'flood', properties: { i, padding } })) },
        project,
      );
    }
    await vi.waitFor(() => expect(t.app.liveSubscribers()).toBe(before - 1), { timeout: 30_000 });

    // Now read it all: events up to what the buffers held, the coded error, the end.
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    await new Promise((resolve) => socket.on('end', resolve));
    const messages = text.split('\n\n').filter((block) => block.includes('data: {'));
    const last = JSON.parse(messages.at(-1)!.slice(messages.at(-1)!.indexOf('data: ') + 6));
    expect(last.errors[0].extensions.code).toBe('SLOW_CONSUMER');
    expect(messages.length - 1).toBeLessThan(2000);
    expect(text).toContain('event: complete');
  });
});
