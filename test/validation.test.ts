import { describe, expect, it } from 'vitest';

import { HOUR_MS } from '../src/time.ts';
import { useTestApp } from './helpers/app.ts';

// Every bad argument is a GraphQL error with extensions.code (and the field path
// for VALIDATION_FAILED), never an internal error.
const t = useTestApp();

function deep(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { nested: value };
  return value;
}

const UPSERT = 'mutation($i: UpsertGroupInput!) { upsertGroup(input: $i) { id } }';
const UPDATE = 'mutation($i: UpdateGroupInput!) { updateGroup(input: $i) { id } }';
const TRACK = 'mutation($i: TrackInput!) { track(input: $i) { duplicate } }';
const IDENTIFY = 'mutation($i: IdentifyInput!) { identify(input: $i) { id } }';
const SET_GROUPS = 'mutation($i: SetGroupsInput!) { setGroups(input: $i) { id } }';
const REMOVE_GROUPS = 'mutation($i: SetGroupsInput!) { removeGroups(input: $i) { id } }';
const EVENTS =
  'query($f: EventFilter, $first: Int, $after: String) { events(filter: $f, first: $first, after: $after) { edges { cursor } } }';

const cases: [label: string, query: string, variables: Record<string, unknown>, field: string][] = [
  ['empty group id', UPSERT, { i: { id: '' } }, 'input.id'],
  ['blank group id', UPSERT, { i: { id: '   ' } }, 'input.id'],
  ['over-long group id', UPSERT, { i: { id: 'x'.repeat(201) } }, 'input.id'],
  ['over-long group name', UPSERT, { i: { id: 'g', name: 'n'.repeat(201) } }, 'input.name'],
  ['empty group type', UPSERT, { i: { id: 'g', type: '' } }, 'input.type'],
  ['array as properties', UPSERT, { i: { id: 'g', properties: [1, 2] } }, 'input.properties'],
  ['string as properties', UPSERT, { i: { id: 'g', properties: 'plan=pro' } }, 'input.properties'],
  ['too-deep properties', UPSERT, { i: { id: 'g', properties: deep(11) } }, 'input.properties'],
  [
    'over-large properties',
    UPSERT,
    { i: { id: 'g', properties: { blob: 'x'.repeat(33 * 1024) } } },
    'input.properties',
  ],
  ['NUL in a property', UPSERT, { i: { id: 'g', properties: { a: 'x\u0000y' } } }, 'input.properties'],
  ['NUL in an id', UPSERT, { i: { id: 'g\u0000' } }, 'input.id'],
  ['updateGroup with non-object properties', UPDATE, { i: { id: 'g', properties: 3 } }, 'input.properties'],
  ['empty event name', TRACK, { i: { name: '' } }, 'input.name'],
  ['over-long event name', TRACK, { i: { name: 'e'.repeat(201) } }, 'input.name'],
  ['over-long event id', TRACK, { i: { id: 'i'.repeat(201), name: 'x' } }, 'input.id'],
  ['empty profile id on an event', TRACK, { i: { name: 'x', profileId: '' } }, 'input.profileId'],
  [
    '101 groups on an event',
    TRACK,
    { i: { name: 'x', groups: Array.from({ length: 101 }, (_, n) => `g${n}`) } },
    'input.groups',
  ],
  ['an empty group id on an event', TRACK, { i: { name: 'x', groups: ['ok', ''] } }, 'input.groups[1]'],
  ['event properties as a list', TRACK, { i: { name: 'x', properties: ['a'] } }, 'input.properties'],
  ['too-deep event properties', TRACK, { i: { name: 'x', properties: deep(11) } }, 'input.properties'],
  [
    'event time over 1 hour ahead',
    TRACK,
    { i: { name: 'x', timestamp: new Date(Date.now() + 2 * HOUR_MS).toISOString() } },
    'input.timestamp',
  ],
  ['empty profile id on identify', IDENTIFY, { i: { profileId: '' } }, 'input.profileId'],
  ['identify with non-object properties', IDENTIFY, { i: { profileId: 'p', properties: true } }, 'input.properties'],
  ['setGroups with an empty group id', SET_GROUPS, { i: { profileId: 'p', groupIds: [''] } }, 'input.groupIds[0]'],
  [
    'setGroups with 101 groups',
    SET_GROUPS,
    { i: { profileId: 'p', groupIds: Array.from({ length: 101 }, (_, n) => `g${n}`) } },
    'input.groupIds',
  ],
  [
    'removeGroups with an over-long profile id',
    REMOVE_GROUPS,
    { i: { profileId: 'p'.repeat(201), groupIds: ['g'] } },
    'input.profileId',
  ],
  [
    'a filter op without a value',
    EVENTS,
    { f: { properties: [{ key: 'plan', op: 'EQ' }] } },
    'filter.properties[0].value',
  ],
  [
    'GT on an object',
    EVENTS,
    { f: { properties: [{ key: 'n', op: 'GT', value: { a: 1 } }] } },
    'filter.properties[0].value',
  ],
  [
    'IN without a list',
    EVENTS,
    { f: { groupProperties: [{ key: 'plan', op: 'IN', value: 'pro' }] } },
    'filter.groupProperties[0].value',
  ],
  [
    'a range that ends before it starts',
    EVENTS,
    { f: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } },
    'filter.to',
  ],
  ['a negative page size', EVENTS, { first: -1 }, 'first'],
  ['a cursor we did not issue', EVENTS, { after: 'bm90LWEtY3Vyc29y' }, 'after'],
  [
    'paging backwards where only forward is offered',
    'query($l: Int) { events(last: $l) { edges { cursor } } }',
    { l: 5 },
    'last',
  ],
  ['a malformed groups cursor', 'query($a: String) { groups(after: $a) { edges { cursor } } }', { a: '!!' }, ''],
];

describe('bad input', () => {
  it.each(cases)('%s → VALIDATION_FAILED on %s', async (_label, query, variables, field) => {
    const result = await t.gql(query, variables);
    expect(result.status).toBe(200);
    const expected = field ? { code: 'VALIDATION_FAILED', field } : { code: 'VALIDATION_FAILED' };
    expect(result.errors?.[0]?.extensions, JSON.stringify(result.errors)).toMatchObject(expected);
  });

  it('nothing was written by the rejected calls', async () => {
    const projectId = t.rootKey.projectId;
    expect(await t.db.prisma.group.count({ where: { projectId } })).toBe(0);
    expect(await t.db.prisma.event.count({ where: { projectId } })).toBe(0);
    expect(await t.db.prisma.profile.count({ where: { projectId } })).toBe(0);
  });

  it('an unknown filter op and a wrong argument type are coded GraphQL validation errors', async () => {
    const op = await t.gql('{ events(filter: { properties: [{ key: "a", op: LIKE }] }) { edges { cursor } } }');
    expect(op.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const type = await t.gql(TRACK, { i: { name: 42 } });
    expect(type.status).toBe(400);
    expect(type.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(type.errors?.[0]?.message).toContain('i.name');
    const date = await t.gql(TRACK, { i: { name: 'x', timestamp: 'tomorrow' } });
    expect(date.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    expect(date.errors?.[0]?.message).toContain('i.timestamp');
    const syntax = await t.gql('{ group(id: "x") { id ');
    expect(syntax.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('properties at the limits are accepted', async () => {
    await t.ok(UPSERT, {
      i: { id: 'edge', name: 'n'.repeat(200), properties: { ...deep(10), blob: 'x'.repeat(30_000) } },
    });
    await t.db.prisma.group.delete({ where: { projectId_id: { projectId: t.rootKey.projectId, id: 'edge' } } });
  });

  it('topEvents limit out of range is VALIDATION_FAILED; removeGroups of an unknown profile is NOT_FOUND', async () => {
    await t.gql('mutation { upsertGroup(input: { id: "lim" }) { id } }');
    const limit = await t.gql('{ group(id: "lim") { stats { topEvents(limit: 0) { name } } } }');
    expect(limit.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED', field: 'limit' });
    const missing = await t.gql('mutation { removeGroups(input: { profileId: "ghost", groupIds: ["lim"] }) { id } }');
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
