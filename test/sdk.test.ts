import { describe, expect, it } from 'vitest';

import { createApp } from '../src/http/app.ts';
import { listen } from '../src/http/server.ts';
import type { CreatedKey } from '../src/services/keys.ts';
import {
  EventsDocument,
  GroupGraph,
  GroupGraphClient,
  GroupGraphError,
  GroupOverviewDocument,
  type GroupGraphOptions,
  type RetryInfo,
} from '../src/sdk/index.ts';
import { parseRetryAfter, retryDelay } from '../src/sdk/retry.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';

// The group-analytics walkthrough (README, "SDK"), written with the SDK exactly
// as README writes it, against a real server over HTTP; then the
// stored rows are read back to check each event carries exactly the spec's groups.
const t = useTestApp({ transport: 'http' });

interface Harness {
  op: GroupGraph;
  key: CreatedKey;
  /** Operation names of the requests sent, in order (retries included). */
  requests: string[];
  errors: GroupGraphError[];
  retries: RetryInfo[];
}

/** A fresh project with a write key (what a browser ships) and an SDK on it. */
async function setup(options: Partial<GroupGraphOptions> = {}, url?: string): Promise<Harness> {
  const key = await t.createKey('write');
  const requests: string[] = [];
  const errors: GroupGraphError[] = [];
  const retries: RetryInfo[] = [];
  const op = new GroupGraph({
    url: url ?? t.url,
    clientId: key.clientId,
    clientSecret: key.clientSecret,
    flushIntervalMs: 10,
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 100,
    onError: (error) => errors.push(error),
    onRetry: (info) => retries.push(info),
    fetch: (input, init) => {
      requests.push(JSON.parse(String(init?.body)).operationName);
      return fetch(input, init);
    },
    ...options,
  });
  return { op, key, requests, errors, retries };
}

async function events(projectId: string) {
  const rows = await t.db.prisma.event.findMany({
    where: { projectId },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return rows.map((e) => ({ ...e, groupIds: [...e.groupIds].sort() }));
}

/** name → sorted group ids, for events whose names are unique in the project. */
async function groupsByEvent(projectId: string): Promise<Record<string, string[]>> {
  const rows = await events(projectId);
  const byName: Record<string, string[]> = {};
  for (const row of rows) {
    expect(byName[row.name], `event ${row.name} stored twice`).toBeUndefined();
    byName[row.name] = row.groupIds;
  }
  return byName;
}

async function currentMemberships(projectId: string) {
  const rows = await t.db.prisma.groupMembership.findMany({ where: { projectId, leftAt: null } });
  return rows.map((m) => `${m.profileId}→${m.groupId}`).sort();
}

describe('group analytics with the SDK, against a real server', () => {
  it('full login flow: identify → setGroup (group not created yet) → track tags every event', async () => {
    const { op, key, errors } = await setup();
    // 1. Identify the user
    op.identify({
      profileId: 'user_123',
      firstName: 'Jane',
      email: 'jane@acme.com',
    });
    // 2. Assign the user to the group — the group doesn't need to exist yet
    op.setGroup('org_acme');
    // 3. All subsequent events are now tagged with the group
    op.track('dashboard_viewed'); // → includes groups: ['org_acme']
    op.track('report_exported'); // → includes groups: ['org_acme']
    await op.flush();

    expect(errors).toEqual([]);
    expect(await groupsByEvent(key.projectId)).toEqual({
      assign_group: ['org_acme'],
      dashboard_viewed: ['org_acme'],
      report_exported: ['org_acme'],
    });
    const stored = await events(key.projectId);
    const tracked = stored.filter((e) => e.name !== 'assign_group');
    expect(tracked.every((e) => e.profileId === 'user_123' && e.deviceId === op.deviceId)).toBe(true);
    expect(tracked.every((e) => e.sessionId === op.sessionId)).toBe(true);
    const profile = await t.db.prisma.profile.findUniqueOrThrow({
      where: { projectId_id: { projectId: key.projectId, id: 'user_123' } },
    });
    expect(profile).toMatchObject({ firstName: 'Jane', email: 'jane@acme.com' });
    expect(await currentMemberships(key.projectId)).toEqual(['user_123→org_acme']);
    // The group was only referenced: a placeholder, to be named later.
    const group = await t.db.prisma.group.findUniqueOrThrow({
      where: { projectId_id: { projectId: key.projectId, id: 'org_acme' } },
    });
    expect(group).toMatchObject({ type: null, name: null });
  });

  it('login flow with upsertGroup syncing the group from your backend', async () => {
    const { op, key, errors } = await setup();
    op.identify({ profileId: 'user_123', email: 'jane@acme.com' });

    // Sync group metadata from your backend
    op.upsertGroup({
      id: 'org_acme',
      type: 'company',
      name: 'Acme Inc',
      properties: { plan: 'pro' },
    });

    op.setGroup('org_acme');
    op.track('dashboard_viewed');
    await op.flush();

    expect(errors).toEqual([]);
    expect(await groupsByEvent(key.projectId)).toEqual({
      assign_group: ['org_acme'],
      dashboard_viewed: ['org_acme'],
    });
    const group = await t.db.prisma.group.findUniqueOrThrow({
      where: { projectId_id: { projectId: key.projectId, id: 'org_acme' } },
    });
    expect(group).toMatchObject({ type: 'company', name: 'Acme Inc', properties: { plan: 'pro' } });
  });

  it('multiple groups: setGroups links both, and every event carries both', async () => {
    const { op, key, errors } = await setup();
    op.identify({ profileId: 'user_123' });
    op.setGroups(['org_acme', 'team_engineering']);
    op.track('deploy');
    await op.flush();

    expect(errors).toEqual([]);
    expect(op.groups).toEqual(['org_acme', 'team_engineering']);
    expect(await groupsByEvent(key.projectId)).toEqual({
      assign_group: ['org_acme', 'team_engineering'],
      deploy: ['org_acme', 'team_engineering'],
    });
    expect(await currentMemberships(key.projectId)).toEqual(['user_123→org_acme', 'user_123→team_engineering']);
  });

  it("per-event override: merged with the instance's groups for that event only", async () => {
    const { op, key, errors } = await setup();
    op.identify({ profileId: 'user_123' });
    op.setGroup('org_acme');
    op.track('file_shared', {
      filename: 'q4-report.pdf',
      groups: ['org_acme', 'org_partner'], // Only applies to this event
    });
    op.track('invite_sent', { groups: ['org_partner'] }); // merged: org_acme + org_partner
    op.track('next_event');
    await op.flush();

    expect(errors).toEqual([]);
    expect(op.groups).toEqual(['org_acme']);
    expect(await groupsByEvent(key.projectId)).toEqual({
      assign_group: ['org_acme'],
      file_shared: ['org_acme', 'org_partner'],
      invite_sent: ['org_acme', 'org_partner'],
      next_event: ['org_acme'],
    });
    const shared = (await events(key.projectId)).find((e) => e.name === 'file_shared')!;
    expect(shared.properties).toEqual({ filename: 'q4-report.pdf' }); // `groups` is not a property
    // The override links nobody: the profile is a member of org_acme only.
    expect(await currentMemberships(key.projectId)).toEqual(['user_123→org_acme']);
  });

  it('setGroup before the group exists: events are tagged at once, upsertGroup fills the group in later', async () => {
    const { op, key, errors } = await setup();
    op.identify({ profileId: 'user_1' });
    op.setGroup('org_later');
    op.track('early_event');
    await op.flush();
    let group = await t.db.prisma.group.findUniqueOrThrow({
      where: { projectId_id: { projectId: key.projectId, id: 'org_later' } },
    });
    expect(group).toMatchObject({ type: null, name: null });

    op.upsertGroup({ id: 'org_later', type: 'company', name: 'Later Ltd' });
    op.track('later_event');
    await op.flush();

    expect(errors).toEqual([]);
    group = await t.db.prisma.group.findUniqueOrThrow({
      where: { projectId_id: { projectId: key.projectId, id: 'org_later' } },
    });
    expect(group).toMatchObject({ type: 'company', name: 'Later Ltd' });
    expect(await groupsByEvent(key.projectId)).toEqual({
      assign_group: ['org_later'],
      early_event: ['org_later'],
      later_event: ['org_later'],
    });
  });

  it('B2B SaaS company accounts, then teams within the company', async () => {
    const { op, key, errors } = await setup();
    const user = {
      id: 'user_9',
      email: 'ann@globex.io',
      organizationId: 'org_globex',
      organizationName: 'Globex',
      plan: 'enterprise',
      mrr: 4200,
      teamId: 'team_platform',
    };
    // On login
    op.identify({ profileId: user.id, email: user.email });
    op.upsertGroup({
      id: user.organizationId,
      type: 'company',
      name: user.organizationName,
      properties: { plan: user.plan, mrr: user.mrr },
    });
    op.setGroup(user.organizationId);
    op.track('login');

    // User belongs to a company and a specific team
    op.setGroups([user.organizationId, user.teamId]);
    op.track('report_viewed');
    await op.flush();

    expect(errors).toEqual([]);
    const stored = await events(key.projectId);
    expect(stored.map((e) => [e.name, e.groupIds])).toEqual(
      expect.arrayContaining([
        ['login', ['org_globex']],
        ['report_viewed', ['org_globex', 'team_platform']],
      ]),
    );
    // Two assign_group events: org_globex, then both (the org membership already existed).
    const assigns = stored.filter((e) => e.name === 'assign_group');
    expect(assigns.map((e) => e.properties)).toEqual(
      expect.arrayContaining([{ added: ['org_globex'] }, { added: ['team_platform'] }]),
    );
    expect(assigns).toHaveLength(2);
    expect(await currentMemberships(key.projectId)).toEqual(['user_9→org_globex', 'user_9→team_platform']);
    const company = await t.db.prisma.group.findUniqueOrThrow({
      where: { projectId_id: { projectId: key.projectId, id: 'org_globex' } },
    });
    expect(company.properties).toEqual({ plan: 'enterprise', mrr: 4200 });
  });

  it('multi-tenant workspace switch: setGroup adds the workspace; removeGroups leaves the old one', async () => {
    const { op, key, errors } = await setup();
    op.identify({ profileId: 'user_ws' });
    // When user switches workspace
    for (const workspace of [
      { id: 'ws_alpha', name: 'Alpha' },
      { id: 'ws_beta', name: 'Beta' },
    ]) {
      op.upsertGroup({
        id: workspace.id,
        type: 'workspace',
        name: workspace.name,
      });
      op.setGroup(workspace.id);
      op.track(`opened_${workspace.id}`);
    }
    // setGroup adds to the list; leaving a workspace is removeGroups.
    op.removeGroups(['ws_alpha']);
    op.track('after_leaving_alpha');
    await op.flush();

    expect(errors).toEqual([]);
    expect(op.groups).toEqual(['ws_beta']);
    const byName = Object.fromEntries(
      (await events(key.projectId)).filter((e) => e.name !== 'assign_group').map((e) => [e.name, e.groupIds]),
    );
    expect(byName).toEqual({
      opened_ws_alpha: ['ws_alpha'],
      opened_ws_beta: ['ws_alpha', 'ws_beta'],
      after_leaving_alpha: ['ws_beta'],
    });
    const memberships = await t.db.prisma.groupMembership.findMany({ where: { projectId: key.projectId } });
    expect(memberships.map((m) => [m.groupId, m.leftAt === null]).sort()).toEqual([
      ['ws_alpha', false],
      ['ws_beta', true],
    ]);
    const workspaces = await t.db.prisma.group.findMany({ where: { projectId: key.projectId, type: 'workspace' } });
    expect(workspaces.map((g) => g.name).sort()).toEqual(['Alpha', 'Beta']);
  });

  it("clear() on logout: the next user inherits nothing — not the SDK's groups, nor memberships on the server", async () => {
    const { op, key, errors } = await setup();
    op.identify({ profileId: 'user_a' });
    op.setGroup('org_a');
    op.track('a_event');
    const before = { deviceId: op.deviceId, sessionId: op.sessionId };

    function handleLogout() {
      op.clear();
      // redirect to login...
    }
    handleLogout();
    expect(op.profileId).toBeUndefined();
    expect(op.groups).toEqual([]);
    expect(op.deviceId).not.toBe(before.deviceId);
    expect(op.sessionId).not.toBe(before.sessionId);

    op.track('anonymous_event');
    op.identify({ profileId: 'user_b' });
    op.track('b_event');
    // user_a logs in again on this device: user_a is still a member of org_a on the
    // server, but the SDK's rule is that an event carries the instance's groups only.
    op.clear();
    op.identify({ profileId: 'user_a' });
    op.track('a_again');
    await op.flush();

    expect(errors).toEqual([]);
    const stored = await events(key.projectId);
    const byName = Object.fromEntries(stored.map((e) => [e.name, e]));
    expect(byName.a_event).toMatchObject({ profileId: 'user_a', groupIds: ['org_a'], deviceId: before.deviceId });
    expect(byName.anonymous_event).toMatchObject({ profileId: null, groupIds: [] });
    expect(byName.anonymous_event!.deviceId).not.toBe(before.deviceId);
    expect(byName.b_event).toMatchObject({ profileId: 'user_b', groupIds: [] });
    expect(byName.a_again).toMatchObject({ profileId: 'user_a', groupIds: [] });
    expect(await currentMemberships(key.projectId)).toEqual(['user_a→org_a']);
  });
});

describe('SDK delivery', () => {
  it('sends calls in call order: a membership change reaches the server before the events tracked after it', async () => {
    // Server-side tracking: events inherit the profile's memberships, so each
    // event's groups show which membership calls the server had already applied.
    const { op, key, errors, requests } = await setup({ inheritProfileGroups: true, flushIntervalMs: 1000 });
    const profile = { profileId: 'user_order' };
    op.track('before', profile);
    op.setGroups(['org_1', 'team_1'], profile);
    op.track('member', profile);
    op.removeGroups(['team_1'], profile);
    op.track('left_team', profile);
    op.track('left_team_2', profile);
    await op.flush();

    expect(errors).toEqual([]);
    expect(op.groups).toEqual([]); // explicit profiles leave the instance's groups alone
    expect(requests).toEqual(['TrackBatch', 'SetGroups', 'TrackBatch', 'RemoveGroups', 'TrackBatch']);
    expect(await groupsByEvent(key.projectId)).toEqual({
      before: [],
      assign_group: ['org_1', 'team_1'],
      member: ['org_1', 'team_1'],
      left_team: ['org_1'],
      left_team_2: ['org_1'],
    });
  });

  it('batches events: up to batchSize per trackBatch, sent after the flush interval without flush()', async () => {
    const { op, key, errors, requests } = await setup({ batchSize: 40, flushIntervalMs: 20 });
    const tracked = Array.from({ length: 90 }, (_, i) => op.track('bulk', { i, groups: [`g_${i % 3}`] }));
    await Promise.all(tracked); // no flush(): the queue drains by size and by timer
    expect(errors).toEqual([]);
    expect(requests).toEqual(['TrackBatch', 'TrackBatch', 'TrackBatch']);
    const stored = await events(key.projectId);
    expect(stored).toHaveLength(90);
    expect(stored.map((e) => (e.properties as { i: number }).i).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 90 }, (_, i) => i),
    );
    expect(
      stored.every((e) => e.groupIds.length === 1 && e.groupIds[0] === `g_${(e.properties as { i: number }).i % 3}`),
    ).toBe(true);
    expect(new Set(stored.map((e) => e.id)).size).toBe(90);
  });

  it("a server taking fewer events per batch than batchSize: the SDK splits to the server's limit, nothing lost", async () => {
    const smallApp = createApp({ database: t.db, production: false, trackBatchMax: 25 });
    const small = await listen(smallApp, 0, '127.0.0.1');
    try {
      const { op, key, errors, requests } = await setup({ batchSize: 60 }, small.url);
      const tracked = Array.from({ length: 60 }, (_, i) => op.track('split', { i }));
      await op.flush();
      await Promise.all(tracked);
      expect(errors).toEqual([]);
      // One refused batch of 60, then 25 + 25 + 10.
      expect(requests).toEqual(['TrackBatch', 'TrackBatch', 'TrackBatch', 'TrackBatch']);
      const stored = await events(key.projectId);
      expect(stored.map((e) => (e.properties as { i: number }).i).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 60 }, (_, i) => i),
      );
    } finally {
      await small.close();
    }
  });

  it('an invalid event is rejected alone and never retried; the rest of its batch is stored', async () => {
    const { op, key, errors, requests, retries } = await setup();
    const good = op.track('fine');
    const bad = op.track('x'.repeat(201));
    const alsoGood = op.track('also_fine', { groups: ['g'] });
    await expect(op.flush()).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(good).resolves.toBeUndefined();
    await expect(alsoGood).resolves.toBeUndefined();
    await expect(bad).rejects.toBeInstanceOf(GroupGraphError);
    expect(errors.map((e) => e.code)).toEqual(['VALIDATION_FAILED']);
    expect(requests).toEqual(['TrackBatch']);
    expect(retries).toEqual([]);
    expect((await events(key.projectId)).map((e) => e.name).sort()).toEqual(['also_fine', 'fine']);
  });

  it('a call failing validation is not retried and does not hold up the calls after it', async () => {
    const { op, key, errors, requests, retries } = await setup();
    const upsert = op.upsertGroup({ id: 'g'.repeat(201), type: 'company', name: 'Too long' });
    op.identify({ profileId: 'user_ok' });
    op.track('after');
    await expect(upsert).rejects.toMatchObject({ code: 'VALIDATION_FAILED', retryable: false });
    await op.flush();
    expect(errors.map((e) => e.code)).toEqual(['VALIDATION_FAILED']);
    expect(retries).toEqual([]);
    expect(requests).toEqual(['UpsertGroup', 'Identify', 'TrackBatch']);
    expect((await events(key.projectId)).map((e) => [e.name, e.profileId])).toEqual([['after', 'user_ok']]);
  });

  it('a wrong key fails with UNAUTHENTICATED, without retries', async () => {
    const { op, errors, retries } = await setup({ clientSecret: 'sec_wrong' });
    op.track('nope');
    await expect(op.flush()).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(errors).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('429 from the rate limiter: retried after the Retry-After the server sent, then delivered', async () => {
    // A server over the same database whose key may send one request per second.
    const limitedApp = createApp({ database: t.db, production: false, rateLimit: { perSecond: 1, burst: 1 } });
    const limited = await listen(limitedApp, 0, '127.0.0.1');
    try {
      const { op, key, errors, retries, requests } = await setup({}, limited.url);
      op.identify({ profileId: 'user_rl' });
      op.track('after_rate_limit');
      await op.flush();
      expect(errors).toEqual([]);
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(retries[0]!.error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterMs: 1000 });
      expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(1000); // the base delay alone would be ≤ 10 ms
      expect(requests.filter((r) => r === 'TrackBatch').length).toBe(1 + retries.length);
      expect((await events(key.projectId)).map((e) => [e.name, e.profileId])).toEqual([
        ['after_rate_limit', 'user_rl'],
      ]);
    } finally {
      await limited.close();
      await limitedApp.rateLimiter.close();
    }
  });

  it('503 with Retry-After (e.g. the database is down) is retried; the event is stored once', async () => {
    let unavailable = 2;
    const { op, key, errors, retries } = await setup({
      fetch: async (input, init) => {
        if (unavailable-- > 0) {
          // What the server answers while its database is down, as a proxy would pass it on.
          return new Response(
            JSON.stringify({
              errors: [{ message: 'The database is unavailable; retry shortly.', extensions: { code: 'UNAVAILABLE' } }],
            }),
            { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '0' } },
          );
        }
        return fetch(input, init);
      },
    });
    op.track('survived');
    await op.flush();
    expect(errors).toEqual([]);
    expect(retries.map((r) => [r.retry, r.error.code, r.error.status])).toEqual([
      [1, 'UNAVAILABLE', 503],
      [2, 'UNAVAILABLE', 503],
    ]);
    expect((await events(key.projectId)).map((e) => e.name)).toEqual(['survived']);
  });

  it('gives up after maxRetries and reports the network error', async () => {
    const { op, errors, retries } = await setup({
      url: 'http://127.0.0.1:9', // discard port: nothing listens
      maxRetries: 2,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 1,
    });
    const tracked = op.track('lost');
    await expect(op.flush()).rejects.toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
    await expect(tracked).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(retries.map((r) => r.retry)).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
  });

  it('a full queue refuses new calls at once with QUEUE_FULL; queued calls keep their place', async () => {
    const { op, errors } = await setup({
      url: 'http://127.0.0.1:9', // nothing listens: the queue cannot drain
      maxQueueSize: 3,
      maxRetries: 2,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 50,
    });
    const queued = [op.track('a'), op.track('b'), op.identify({ profileId: 'u1' })];
    const refused = [op.track('c'), op.setGroup('org_x')];
    for (const call of refused) await expect(call).rejects.toMatchObject({ code: 'QUEUE_FULL', retryable: false });
    expect(errors.map((e) => e.code)).toEqual(['QUEUE_FULL', 'QUEUE_FULL']);
    // The queued ones were still tried, in order, until their retries ran out.
    for (const call of queued) await expect(call).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    // Drained, the queue takes calls again.
    const later = op.track('d');
    await expect(later).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(errors.filter((e) => e.code === 'QUEUE_FULL')).toHaveLength(2);
  });

  it('a write key reads nothing back, a read key reads the events through the typed client', async () => {
    const { op, key } = await setup();
    op.identify({ profileId: 'user_q', email: 'q@example.com' });
    op.setGroup('org_q');
    op.track('typed_read', { plan: 'pro' });
    await op.flush();

    const writer = new GroupGraphClient({ url: t.url, clientId: key.clientId, clientSecret: key.clientSecret });
    await expect(writer.request(EventsDocument, {})).rejects.toMatchObject({ code: 'FORBIDDEN', retryable: false });

    const readKey = await t.createKey('read', key.projectId);
    const reader = new GroupGraphClient({
      url: `${t.url}/graphql`,
      clientId: readKey.clientId,
      clientSecret: readKey.clientSecret,
    });
    const { events: page } = await reader.request(EventsDocument, { filter: { eventNames: ['typed_read'] } });
    expect(page.edges.map((e) => [e.node.name, e.node.profileId, e.node.groupIds, e.node.properties])).toEqual([
      ['typed_read', 'user_q', ['org_q'], { plan: 'pro' }],
    ]);
    const { group } = await reader.request(GroupOverviewDocument, { id: 'org_q' });
    expect(group).toMatchObject({ id: 'org_q', memberCount: 1, stats: { eventCount: 2, uniqueProfiles: 1 } });
    expect(group!.members.edges.map((e) => e.node)).toEqual([
      { id: 'user_q', email: 'q@example.com', firstName: null, lastName: null },
    ]);
  });

  it('setGroup before identify tags events but links no profile', async () => {
    const { op, key, errors, requests } = await setup();
    op.setGroup(uniqueId('org'));
    op.track('anonymous');
    await op.flush();
    expect(errors).toEqual([]);
    expect(requests).toEqual(['TrackBatch']);
    const [event] = await events(key.projectId);
    expect(event!.groupIds).toEqual(op.groups);
    expect(await currentMemberships(key.projectId)).toEqual([]);
  });
});

describe('retry timing', () => {
  const backoff = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles per retry with jitter between half and all of the step, capped', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, backoff, undefined, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, backoff, undefined, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
  });

  it("never retries sooner than the server's Retry-After, which may exceed the cap", () => {
    expect(retryDelay(1, backoff, 5000, () => 1)).toBe(5000);
    expect(retryDelay(4, backoff, 10, () => 1)).toBe(800);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
