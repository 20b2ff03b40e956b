import { OpenPanel } from '@openpanel/sdk';
import { beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../src/http/app.ts';
import { listen } from '../src/http/server.ts';
import { TRACK_MAX_BODY_BYTES } from '../src/http/track.ts';
import { KeyService, type CreatedKey } from '../src/services/keys.ts';
import { SESSION_IDLE_MS, SessionService } from '../src/services/sessions.ts';
import { HOUR_MS, MINUTE_MS } from '../src/time.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';
import { keyHeaders } from './helpers/http.ts';

// OpenPanel compatibility: the unchanged @openpanel/sdk against POST /track,
// and the endpoint's contract (payload types, reserved properties, device and
// session ids, errors, browsers without a secret).
const t = useTestApp({ transport: 'http' });

/** A project with a write key (what an app ships) and a root key (to look at the data). */
async function project() {
  const writer = await t.createKey('write');
  const root = await t.createKey('root', writer.projectId);
  const query = <T = Record<string, any>>(q: string, variables: Record<string, unknown> = {}) =>
    t.ok<T>(q, variables, root);
  return { writer, root, query, projectId: writer.projectId };
}

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

async function post(body: unknown, headers: Record<string, string>): Promise<Reply> {
  const response = await fetch(`${t.url}/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0 (test)', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

const events = (projectId: string) =>
  t.db.prisma.event.findMany({ where: { projectId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });

describe('the unchanged @openpanel/sdk', () => {
  it('runs the login flow; GraphQL returns what it sent', async () => {
    const { writer, query, projectId } = await project();
    const op = new OpenPanel({ clientId: writer.clientId, clientSecret: writer.clientSecret, apiUrl: t.url });
    const replies: string[] = [];
    const sent = async (call: Promise<unknown> | undefined) => {
      const reply = (await call) as { deviceId: string; sessionId: string } | null;
      // The SDK answers null when the server refused the call.
      expect(reply).toMatchObject({ deviceId: expect.any(String), sessionId: expect.any(String) });
      replies.push(JSON.stringify({ deviceId: reply!.deviceId, sessionId: reply!.sessionId }));
    };

    await sent(op.identify({ profileId: 'user_123', firstName: 'Jane', email: 'jane@acme.com' }));
    await sent(
      op.upsertGroup({ id: 'org_acme', type: 'company', name: 'Acme Inc', properties: { plan: 'pro', seats: 25 } }),
    );
    await sent(op.setGroup('org_acme'));
    await sent(op.track('dashboard_viewed'));
    await sent(op.track('file_shared', { filename: 'q4-report.pdf', groups: ['org_acme', 'org_partner'] }));
    await sent(op.setGroups(['org_acme', 'team_engineering']));
    await sent(op.track('report_exported', { format: 'pdf' }));
    await sent(op.increment({ profileId: 'user_123', property: 'logins', value: 2 }));
    await sent(op.decrement({ profileId: 'user_123', property: 'logins' }));
    const deviceId = op.getDeviceId();
    const sessionId = op.getSessionId();
    op.clear();
    expect(op.getDeviceId()).toBe('');
    await sent(op.track('signed_out_view'));

    // One device and one session throughout: the same client, active all along.
    expect(new Set(replies)).toEqual(new Set([JSON.stringify({ deviceId, sessionId })]));

    const data = await query(`{
      profile(id: "user_123") {
        firstName email properties
        groups { id }
        events(first: 20) { edges { node { name groupIds deviceId sessionId properties } } }
      }
      group(id: "org_acme") { type name properties memberCount stats { eventCount } }
      partner: group(id: "org_partner") { type name memberCount }
    }`);
    expect(data.profile).toMatchObject({ firstName: 'Jane', email: 'jane@acme.com', properties: { logins: 1 } });
    expect(data.profile.groups.map((g: { id: string }) => g.id).sort()).toEqual(['org_acme', 'team_engineering']);
    const byName = new Map(
      data.profile.events.edges.map((e: { node: { name: string } }) => [e.node.name, e.node]) as [string, any][],
    );
    expect([...byName.keys()].sort()).toEqual(['assign_group', 'dashboard_viewed', 'file_shared', 'report_exported']);
    expect(byName.get('dashboard_viewed')).toEqual({
      name: 'dashboard_viewed',
      groupIds: ['org_acme'],
      deviceId,
      sessionId,
      properties: {},
    });
    expect(byName.get('file_shared').groupIds).toEqual(['org_acme', 'org_partner']);
    expect(byName.get('file_shared').properties).toEqual({ filename: 'q4-report.pdf' });
    expect([...byName.get('report_exported').groupIds].sort()).toEqual(['org_acme', 'team_engineering']);
    expect(data.group).toEqual({
      type: 'company',
      name: 'Acme Inc',
      properties: { plan: 'pro', seats: 25 },
      memberCount: 1,
      stats: { eventCount: 5 }, // 2 × assign_group, dashboard_viewed, file_shared, report_exported
    });
    expect(data.partner).toEqual({ type: null, name: null, memberCount: 0 });

    // After clear(): no profile and no groups from the SDK; the event belongs to the device.
    const signedOut = (await events(projectId)).find((e) => e.name === 'signed_out_view')!;
    expect(signedOut).toMatchObject({ profileId: deviceId, deviceId, groupIds: [] });
  });
});

describe('POST /track', () => {
  it('answers {deviceId, sessionId} after storing the event; reserved properties are read, not stored', async () => {
    const { writer, projectId } = await project();
    const reply = await post(
      {
        type: 'track',
        payload: {
          name: 'screen_view',
          profileId: 42,
          groups: ['org_a'],
          properties: {
            plan: 'pro',
            __timestamp: '2024-05-01T10:00:00.000Z',
            __path: 'https://app.example/reports',
            __referrer: 'https://search.example/',
            __ip: '203.0.113.9',
          },
        },
      },
      keyHeaders(writer),
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      deviceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      sessionId: expect.any(String),
      event: { id: expect.any(String), duplicate: false },
    });
    const [stored] = await events(projectId);
    expect(stored).toMatchObject({
      id: reply.body.event.id,
      name: 'screen_view',
      profileId: '42',
      groupIds: ['org_a'],
      deviceId: reply.body.deviceId,
      sessionId: reply.body.sessionId,
      properties: { plan: 'pro', path: 'https://app.example/reports', referrer: 'https://search.example/' },
    });
    expect(stored!.createdAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
  });

  it('derives the device from user agent and IP, unless __deviceId names it; a device keeps its session', async () => {
    const { writer, projectId } = await project();
    const track = (ua: string, properties: Record<string, unknown> = {}) =>
      post({ type: 'track', payload: { name: 'x', properties } }, { ...keyHeaders(writer), 'user-agent': ua });
    const a1 = await track('Browser A');
    const a2 = await track('Browser A');
    const b = await track('Browser B');
    const otherIp = await track('Browser A', { __ip: '198.51.100.7' });
    const named = await track('Browser A', { __deviceId: 'device-from-app' });
    for (const r of [a1, a2, b, otherIp, named]) expect(r.status).toBe(200);
    expect(a2.body.deviceId).toBe(a1.body.deviceId);
    expect(a2.body.sessionId).toBe(a1.body.sessionId);
    expect(b.body.deviceId).not.toBe(a1.body.deviceId);
    expect(b.body.sessionId).not.toBe(a1.body.sessionId);
    expect(otherIp.body.deviceId).not.toBe(a1.body.deviceId);
    expect(named.body.deviceId).toBe('device-from-app');

    // The same browser in another project is another device.
    const other = await t.createKey('write');
    const elsewhere = await post(
      { type: 'track', payload: { name: 'x' } },
      { ...keyHeaders(other), 'user-agent': 'Browser A' },
    );
    expect(elsewhere.body.deviceId).not.toBe(a1.body.deviceId);

    const stored = await events(projectId);
    expect(stored.map((e) => e.deviceId)).toEqual([
      a1.body.deviceId,
      a1.body.deviceId,
      b.body.deviceId,
      otherIp.body.deviceId,
      'device-from-app',
    ]);
    expect(
      stored.every((e) => !('__ip' in (e.properties as object)) && !('__deviceId' in (e.properties as object))),
    ).toBe(true);
  });

  it('sessions continue within 30 minutes of activity and survive the daily salt change', async () => {
    const { projectId } = await project();
    const sessions = new SessionService(t.db.prisma);
    const t0 = new Date('2026-03-01T23:40:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const first = await sessions.touch(projectId, 'dev-1', null, t0);
    expect(await sessions.touch(projectId, 'dev-1', null, at(29 * MINUTE_MS))).toBe(first);
    expect(await sessions.touch(projectId, 'dev-1', null, at(58 * MINUTE_MS))).toBe(first);
    const next = await sessions.touch(projectId, 'dev-1', null, at(58 * MINUTE_MS + SESSION_IDLE_MS + 1));
    expect(next).not.toBe(first);
    // After midnight the device has a new id; its active session carries over.
    const lastSeen = at(58 * MINUTE_MS + SESSION_IDLE_MS + 1);
    expect(
      await sessions.touch(projectId, 'dev-1-tomorrow', 'dev-1', new Date(lastSeen.getTime() + 10 * MINUTE_MS)),
    ).toBe(next);
    expect(await sessions.touch(projectId, 'dev-2', 'dev-1', new Date(lastSeen.getTime() + 31 * MINUTE_MS))).not.toBe(
      next,
    );

    // Device ids are stable within a day and change with it; yesterday's id is known for the carry-over.
    const today = await sessions.deviceIds(projectId, 'UA', '192.0.2.1', new Date('2026-03-02T09:00:00Z'));
    const laterToday = await sessions.deviceIds(projectId, 'UA', '192.0.2.1', new Date('2026-03-02T18:00:00Z'));
    const tomorrow = await sessions.deviceIds(projectId, 'UA', '192.0.2.1', new Date('2026-03-03T09:00:00Z'));
    expect(laterToday.current).toBe(today.current);
    expect(tomorrow.current).not.toBe(today.current);
    expect(tomorrow.previous).toBe(today.current);
    // Another process derives the same ids from the stored salts.
    const elsewhere = await new SessionService(t.db.prisma).deviceIds(
      projectId,
      'UA',
      '192.0.2.1',
      new Date('2026-03-03T12:00:00Z'),
    );
    expect(elsewhere).toEqual(tomorrow);
  });

  it('identify, group, assign_group (to the device’s profile without profileId), increment and decrement', async () => {
    const { writer, query, projectId } = await project();
    const headers = keyHeaders(writer);
    const ok = async (type: string, payload: Record<string, unknown>) => {
      const reply = await post({ type, payload }, headers);
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      return reply.body as { deviceId: string; sessionId: string };
    };
    await ok('identify', { profileId: 'u1', firstName: 'Ann', lastName: 'Lee', properties: { role: 'admin' } });
    await ok('group', { id: 'org_x', type: 'company', name: 'X Corp', properties: { plan: 'team' } });
    await ok('assign_group', { profileId: 'u1', groupIds: ['org_x'] });
    const { deviceId } = await ok('assign_group', { groupIds: ['org_anon'] });
    await ok('track', { name: 'anonymous_click' });

    // Increments are atomic: concurrent ones all count.
    await Promise.all(Array.from({ length: 20 }, () => ok('increment', { profileId: 'u1', property: 'visits' })));
    await ok('decrement', { profileId: 'u1', property: 'visits', value: 5 });
    await ok('increment', { profileId: 'u1', property: 'credits', value: 2.5 });
    const notNumber = await post({ type: 'increment', payload: { profileId: 'u1', property: 'role' } }, headers);
    expect(notNumber.status).toBe(400);
    expect(notNumber.body).toEqual({
      error: 'VALIDATION_FAILED',
      message: expect.stringMatching(/role.*not a number/),
    });

    const data = await query(
      `query($device: ID!) {
        u1: profile(id: "u1") { firstName lastName properties groups { id } }
        device: profile(id: $device) { groups { id } }
        group(id: "org_x") { type name properties memberCount }
      }`,
      { device: deviceId },
    );
    expect(data.u1).toEqual({
      firstName: 'Ann',
      lastName: 'Lee',
      properties: { role: 'admin', visits: 15, credits: 2.5 },
      groups: [{ id: 'org_x' }],
    });
    expect(data.device.groups).toEqual([{ id: 'org_anon' }]);
    expect(data.group).toEqual({ type: 'company', name: 'X Corp', properties: { plan: 'team' }, memberCount: 1 });
    // The device's anonymous event inherits the group it was assigned to.
    const click = (await events(projectId)).find((e) => e.name === 'anonymous_click')!;
    expect(click).toMatchObject({ profileId: deviceId, groupIds: ['org_anon'] });
  });

  it('refuses bad bodies with 400 {error, message} and stores nothing', async () => {
    const { writer, projectId } = await project();
    const headers = keyHeaders(writer);
    const cases: [string, unknown, RegExp][] = [
      ['not JSON', '{"type": "track", ', /JSON/],
      ['no type', { payload: { name: 'x' } }, /type/],
      ['unknown type', { type: 'page', payload: {} }, /type/],
      ['alias', { type: 'alias', payload: { profileId: 'u', alias: 'v' } }, /alias is not supported/],
      ['payload not an object', { type: 'track', payload: 'x' }, /payload/],
      ['track without a name', { type: 'track', payload: { properties: {} } }, /payload\.name/],
      ['groups not strings', { type: 'track', payload: { name: 'x', groups: [1] } }, /payload\.groups/],
      [
        'more than 1 hour ahead',
        {
          type: 'track',
          payload: { name: 'x', properties: { __timestamp: new Date(Date.now() + 2 * HOUR_MS).toISOString() } },
        },
        /__timestamp.*1 hour/,
      ],
      [
        'unstorable __deviceId',
        { type: 'track', payload: { name: 'x', properties: { __deviceId: 'a\u0000b' } } },
        /__deviceId/,
      ],
      ['empty __deviceId', { type: 'track', payload: { name: 'x', properties: { __deviceId: ' ' } } }, /__deviceId/],
      [
        'bad timestamp',
        { type: 'track', payload: { name: 'x', properties: { __timestamp: 'yesterday' } } },
        /__timestamp/,
      ],
      ['identify without profileId', { type: 'identify', payload: { firstName: 'A' } }, /profileId/],
      ['assign_group without groupIds', { type: 'assign_group', payload: { profileId: 'u' } }, /groupIds/],
      ['increment by text', { type: 'increment', payload: { profileId: 'u', property: 'n', value: 'x' } }, /value/],
      ['group without id', { type: 'group', payload: { type: 'company' } }, /id/],
      ['not an object', ['track'], /body: must be a JSON object/],
      ['type not a string', { type: 7, payload: {} }, /^type: must be one of track,/],
      ['properties not an object', { type: 'track', payload: { name: 'x', properties: [] } }, /payload\.properties:/],
      ['a group id that is not a string', { type: 'track', payload: { name: 'x', groups: ['g', 2] } }, /groups\[1\]/],
      ['identify with a null profileId', { type: 'identify', payload: { profileId: null } }, /profileId.*required/],
      [
        'decrement by Infinity (JSON has none: a string)',
        { type: 'decrement', payload: { value: 'Infinity' } },
        /value/,
      ],
      [
        '__ip not a string',
        { type: 'track', payload: { name: 'x', properties: { __ip: 1 } } },
        /__ip: must be a string/,
      ],
    ];
    for (const [label, body, message] of cases) {
      const reply = await post(body, headers);
      expect(reply.status, label).toBe(400);
      expect(reply.body, label).toEqual({ error: 'VALIDATION_FAILED', message: expect.stringMatching(message) });
    }
    expect(await t.db.prisma.event.count({ where: { projectId } })).toBe(0);
    expect(await t.db.prisma.profile.count({ where: { projectId } })).toBe(0);
  });

  it('answers 401 for missing or wrong credentials and 403 for a read key', async () => {
    const { writer } = await project();
    const body = { type: 'track', payload: { name: 'x' } };
    const none = await post(body, {});
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('UNAUTHENTICATED');
    const wrong = await post(body, { ...keyHeaders(writer), 'openpanel-client-secret': 'sec_wrong' });
    expect(wrong.status).toBe(401);
    const bearer = await post(body, { authorization: `Bearer ${writer.clientId}:${writer.clientSecret}` });
    expect(bearer.status).toBe(200);
    const reader = await t.createKey('read', writer.projectId);
    const read = await post(body, keyHeaders(reader));
    expect(read.status).toBe(403);
    expect(read.body.error).toBe('FORBIDDEN');
    const get = await fetch(`${t.url}/track`);
    expect(get.status).toBe(405);
  });

  it('refuses a body over 1 MiB with 413 PAYLOAD_TOO_LARGE, declared or streamed without a length', async () => {
    const { writer, projectId } = await project();
    const big = JSON.stringify({
      type: 'track',
      payload: { name: 'x', properties: { pad: 'x'.repeat(TRACK_MAX_BODY_BYTES) } },
    });
    const declared = await post(big, keyHeaders(writer));
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual({ error: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/exceeds/) });

    // Chunked: no Content-Length to check first; the server stops reading at the limit.
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        if (sent > 64 * TRACK_MAX_BODY_BYTES) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const streamed = await fetch(`${t.url}/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...keyHeaders(writer) },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: string }).error).toBe('PAYLOAD_TOO_LARGE');
    expect(sent).toBeLessThan(64 * TRACK_MAX_BODY_BYTES);

    // At the limit it is an ordinary body.
    const fits = await post(
      { type: 'track', payload: { name: 'x', properties: { pad: 'x'.repeat(20_000) } } },
      keyHeaders(writer),
    );
    expect(fits.status).toBe(200);
    expect(await t.db.prisma.event.count({ where: { projectId } })).toBe(1);
  });

  it('reads the client IP from X-Forwarded-For only behind a trusted proxy (TRUST_PROXY)', async () => {
    const { writer } = await project();
    const from = (reply: Reply) => reply.body.deviceId as string;
    const send = (url: string, forwardedFor?: string) =>
      fetch(`${url}/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Browser P',
          ...keyHeaders(writer),
          ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
        },
        body: JSON.stringify({ type: 'track', payload: { name: 'x' } }),
      }).then(async (r) => ({ status: r.status, headers: r.headers, body: await r.json() }) as Reply);

    // Not trusted (the default): a client cannot pose as other devices by setting the header.
    const plain = await send(t.url);
    const spoofed = await send(t.url, '203.0.113.9');
    expect(from(spoofed)).toBe(from(plain));

    const proxied = await listen(createApp({ database: t.db, production: false, trustProxy: true }), 0, '127.0.0.1');
    try {
      const a = await send(proxied.url, '203.0.113.9, 10.0.0.1');
      const again = await send(proxied.url, '203.0.113.9');
      const b = await send(proxied.url, '198.51.100.4');
      expect(from(again)).toBe(from(a));
      expect(from(b)).not.toBe(from(a));
      expect(from(a)).not.toBe(from(plain));
    } finally {
      await proxied.close();
    }
  });
});

describe('browsers', () => {
  let writer: CreatedKey;
  let root: CreatedKey;
  const allowed = 'https://app.example.com';
  beforeAll(async () => {
    writer = await t.createKey('write');
    root = await t.createKey('root', writer.projectId);
    await new KeyService(t.db.prisma).addAllowedOrigins(writer.projectId, [allowed, 'http://localhost:3000']);
  });

  it('allowed origins are kept normalized, each once; anything but a bare origin is refused', async () => {
    const keys = new KeyService(t.db.prisma);
    const { projectId } = await t.createKey('write');
    expect(await keys.allowedOrigins(projectId)).toEqual([]);
    expect(
      await keys.addAllowedOrigins(projectId, [
        'https://App.Example.com/',
        'https://app.example.com:443',
        'http://x.test:8080',
      ]),
    ).toEqual(['https://app.example.com', 'http://x.test:8080']);
    expect(await keys.addAllowedOrigins(projectId, ['HTTP://X.TEST:8080'])).toEqual([
      'https://app.example.com',
      'http://x.test:8080',
    ]);
    for (const bad of [
      'app.example.com',
      'https://app.example.com/path',
      'https://a.test?x=1',
      'ftp://a.test',
      'null',
    ]) {
      await expect(keys.addAllowedOrigins(projectId, [bad]), bad).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await keys.removeAllowedOrigins(projectId, ['HTTPS://APP.EXAMPLE.COM/'])).toEqual(['http://x.test:8080']);
    await expect(keys.allowedOrigins('no_such_project')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(keys.addAllowedOrigins('no_such_project', [allowed])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers the CORS preflight for the OpenPanel headers', async () => {
    const response = await fetch(`${t.url}/track`, {
      method: 'OPTIONS',
      headers: {
        origin: allowed,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,openpanel-client-id,openpanel-sdk-name,openpanel-sdk-version',
      },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const allowedHeaders = response.headers.get('access-control-allow-headers')!.toLowerCase();
    for (const h of ['content-type', 'openpanel-client-id', 'openpanel-sdk-name', 'openpanel-sdk-version']) {
      expect(allowedHeaders).toContain(h);
    }
  });

  it('accepts a write key without a secret only from the project’s allowed origins', async () => {
    const body = { type: 'track', payload: { name: 'browser_event' } };
    const idOnly = (key: CreatedKey, origin?: string) => ({
      'openpanel-client-id': key.clientId,
      ...(origin ? { origin } : {}),
    });
    const fromApp = await post(body, idOnly(writer, allowed));
    expect(fromApp.status).toBe(200);
    expect(fromApp.headers.get('access-control-allow-origin')).toBe(allowed);
    expect((await post(body, idOnly(writer, 'HTTP://LOCALHOST:3000/'))).status).toBe(200);

    const elsewhere = await post(body, idOnly(writer, 'https://evil.example'));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.error).toBe('UNAUTHENTICATED');
    expect((await post(body, idOnly(writer))).status).toBe(401);
    // A root key always needs its secret.
    expect((await post(body, idOnly(root, allowed))).status).toBe(401);
    expect((await post(body, { 'openpanel-client-id': uniqueId('nobody'), origin: allowed })).status).toBe(401);

    const revoked = await t.createKey('write', writer.projectId);
    expect((await post(body, idOnly(revoked, allowed))).status).toBe(200);
    await new KeyService(t.db.prisma).revoke(revoked.clientId);
    expect((await post(body, idOnly(revoked, allowed))).status).toBe(401);

    expect(await t.db.prisma.event.count({ where: { projectId: writer.projectId, name: 'browser_event' } })).toBe(3);
  });
});
