import { describe, expect, it } from 'vitest';

import { KeyService } from '../src/services/keys.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';
import { keyHeaders } from './helpers/http.ts';

const t = useTestApp({ transport: 'http' });

describe('the vertical slice over real HTTP', () => {
  async function post(body: unknown, headers: Record<string, string> = keyHeaders(t.rootKey)) {
    const response = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('upsertGroup twice merges properties, keeping JSON types, and null removes a key', async () => {
    const id = uniqueId('org');
    const upsert = `mutation($input: UpsertGroupInput!) { upsertGroup(input: $input) { id type name properties } }`;
    const first = await post({
      query: upsert,
      variables: {
        input: {
          id,
          type: 'company',
          name: 'Acme Inc',
          properties: { plan: 'pro', seats: 25, beta: true, tags: ['a'], meta: { x: 1 } },
        },
      },
    });
    expect(first.status).toBe(200);
    expect(first.body.data.upsertGroup).toEqual({
      id,
      type: 'company',
      name: 'Acme Inc',
      properties: { plan: 'pro', seats: 25, beta: true, tags: ['a'], meta: { x: 1 } },
    });

    const second = await post({
      query: upsert,
      variables: { input: { id, properties: { plan: 'enterprise', seats: null, mrr: 99.5 } } },
    });
    expect(second.body.data.upsertGroup).toEqual({
      id,
      type: 'company',
      name: 'Acme Inc',
      properties: { plan: 'enterprise', beta: true, tags: ['a'], meta: { x: 1 }, mrr: 99.5 },
    });

    const read = await post({
      query: `query($id: ID!) { group(id: $id) { id type name properties createdAt updatedAt } }`,
      variables: { id },
    });
    expect(read.body.data.group).toMatchObject({
      id,
      name: 'Acme Inc',
      properties: second.body.data.upsertGroup.properties,
    });
    expect(Date.parse(read.body.data.group.updatedAt)).toBeGreaterThanOrEqual(
      Date.parse(read.body.data.group.createdAt),
    );
  });

  it('track stores an event whose groupIds include the groups passed; unknown groups become placeholders', async () => {
    const known = uniqueId('org');
    const unknown = uniqueId('org');
    await post({ query: `mutation { upsertGroup(input: { id: "${known}", type: "company", name: "Known" }) { id } }` });
    const track = await post({
      query: `mutation($input: TrackInput!) { track(input: $input) { duplicate event { id name profileId groupIds properties createdAt receivedAt } } }`,
      variables: {
        input: {
          name: 'report_exported',
          profileId: 'user_1',
          groups: [known, unknown],
          properties: { format: 'pdf', pages: 3 },
        },
      },
    });
    expect(track.status).toBe(200);
    const event = track.body.data.track.event;
    expect(track.body.data.track.duplicate).toBe(false);
    expect(event).toMatchObject({
      name: 'report_exported',
      profileId: 'user_1',
      properties: { format: 'pdf', pages: 3 },
    });
    expect(event.groupIds).toEqual([known, unknown]);

    const stored = await t.db.prisma.event.findUniqueOrThrow({
      where: { projectId_id: { projectId: t.rootKey.projectId, id: event.id } },
    });
    expect(stored.groupIds).toEqual([known, unknown]);
    const placeholder = await post({ query: `{ group(id: "${unknown}") { id type name properties } }` });
    expect(placeholder.body.data.group).toEqual({ id: unknown, type: null, name: null, properties: {} });
  });

  it('a repeated event id is stored once and answered with duplicate: true', async () => {
    const input = { id: uniqueId('evt'), name: 'signup', groups: [uniqueId('org')] };
    const query = `mutation($input: TrackInput!) { track(input: $input) { duplicate event { id createdAt } } }`;
    const first = await post({ query, variables: { input } });
    const again = await post({ query, variables: { input } });
    expect(first.body.data.track.duplicate).toBe(false);
    expect(again.body.data.track).toEqual({ duplicate: true, event: first.body.data.track.event });
    expect(await t.db.prisma.event.count({ where: { projectId: t.rootKey.projectId, id: input.id } })).toBe(1);
  });

  it('a key made for another project works for track there, and sees only its own project', async () => {
    const writeKey = await t.createKey('write');
    const id = uniqueId('org');
    const tracked = await post(
      { query: `mutation { track(input: { name: "x", groups: ["${id}"] }) { event { id } } }` },
      keyHeaders(writeKey),
    );
    const eventId = tracked.body.data.track.event.id;
    const stored = await t.db.prisma.event.findUniqueOrThrow({
      where: { projectId_id: { projectId: writeKey.projectId, id: eventId } },
    });
    expect(stored.groupIds).toEqual([id]);
    const fromOther = await post({ query: `{ group(id: "${id}") { id } }` });
    expect(fromOther.body.data.group).toBeNull();
  });

  it('answers 401 UNAUTHENTICATED without a key, with a wrong secret, and with a revoked key; Bearer works', async () => {
    const query = { query: '{ __typename }' };
    const none = await post(query, {});
    expect(none.status).toBe(401);
    expect(none.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');

    const wrong = await post(query, { ...keyHeaders(t.rootKey), 'openpanel-client-secret': 'sec_wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');

    const unknownClient = await post(query, { ...keyHeaders(t.rootKey), 'openpanel-client-id': 'nobody' });
    expect(unknownClient.status).toBe(401);

    const bearer = await post(query, { authorization: `Bearer ${t.rootKey.clientId}:${t.rootKey.clientSecret}` });
    expect(bearer.status).toBe(200);
    expect(bearer.body.data).toEqual({ __typename: 'Query' });

    const key = await t.createKey('root');
    expect((await post(query, keyHeaders(key))).status).toBe(200);
    await new KeyService(t.db.prisma).revoke(key.clientId);
    const revoked = await post(query, keyHeaders(key));
    expect(revoked.status).toBe(401);
    expect(revoked.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('reports health with the database kind', async () => {
    const response = await fetch(`${t.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: t.db.kind, rateLimiting: 'in-process' });
  });

  it('serves GraphiQL to browsers without a key', async () => {
    const response = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>groupgraph</title>');
  });
});

describe('bad input gets coded errors', () => {
  const cases: [string, string, Record<string, unknown>, string][] = [
    [
      'empty group id',
      'mutation($i: UpsertGroupInput!) { upsertGroup(input: $i) { id } }',
      { i: { id: '' } },
      'input.id',
    ],
    [
      'over-long group id',
      'mutation($i: UpsertGroupInput!) { upsertGroup(input: $i) { id } }',
      { i: { id: 'x'.repeat(201) } },
      'input.id',
    ],
    [
      'non-object properties',
      'mutation($i: UpsertGroupInput!) { upsertGroup(input: $i) { id } }',
      { i: { id: 'g', properties: [1] } },
      'input.properties',
    ],
    [
      'empty event name',
      'mutation($i: TrackInput!) { track(input: $i) { duplicate } }',
      { i: { name: ' ' } },
      'input.name',
    ],
    [
      'event too far in the future',
      'mutation($i: TrackInput!) { track(input: $i) { duplicate } }',
      { i: { name: 'x', timestamp: '2999-01-01T00:00:00Z' } },
      'input.timestamp',
    ],
    [
      'too many groups',
      'mutation($i: TrackInput!) { track(input: $i) { duplicate } }',
      { i: { name: 'x', groups: Array.from({ length: 101 }, (_, n) => `g${n}`) } },
      'input.groups',
    ],
  ];
  it.each(cases)('%s → VALIDATION_FAILED on %s', async (_label, query, variables, field) => {
    const result = await t.gql(query, variables);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });

  it('a malformed DateTime is VALIDATION_FAILED, not an internal error', async () => {
    const result = await t.gql('mutation { track(input: { name: "x", timestamp: "yesterday" }) { duplicate } }');
    expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});
