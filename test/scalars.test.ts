import { describe, expect, it } from 'vitest';

import { uniqueId, useTestApp } from './helpers/app.ts';

// What the DateTime and JSON scalars promise (and why graphql-scalars' are not
// used, see src/graphql/scalars.ts), through real track mutations.
const t = useTestApp();

const TRACK = 'mutation($i: TrackInput!) { track(input: $i) { event { createdAt properties } } }';

describe('DateTime', () => {
  it.each([
    ['a date alone is midnight UTC', '2026-01-01', '2026-01-01T00:00:00.000Z'],
    ['a date-time in UTC', '2026-01-01T12:30:00Z', '2026-01-01T12:30:00.000Z'],
    ['an offset is applied', '2026-01-01T12:30:00+02:00', '2026-01-01T10:30:00.000Z'],
    ['a space instead of T, minutes only', '2026-01-01 12:30Z', '2026-01-01T12:30:00.000Z'],
    ['nanoseconds are cut to milliseconds', '2026-01-01T12:30:00.123456789Z', '2026-01-01T12:30:00.123Z'],
  ])('%s (variable)', async (_label, timestamp, stored) => {
    const result = await t.gql(TRACK, { i: { id: uniqueId('e'), name: 'scalar', timestamp } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.track.event.createdAt).toBe(stored);
  });

  it('a date alone as a literal is midnight UTC too', async () => {
    const result = await t.gql(
      `mutation { track(input: { id: "${uniqueId('e')}", name: "scalar", timestamp: "2026-02-03" }) { event { createdAt } } }`,
    );
    expect(result.data?.track.event.createdAt).toBe('2026-02-03T00:00:00.000Z');
  });

  it.each(['tomorrow', '2026-1-1', '01/02/2026', 1767225600000])(
    'refuses %j with VALIDATION_FAILED',
    async (timestamp) => {
      const result = await t.gql(TRACK, { i: { name: 'scalar', timestamp } });
      expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    },
  );
});

describe('JSON', () => {
  it('a literal object keeps its types, variables included', async () => {
    const result = await t.gql(
      'mutation($v: JSON) { track(input: { name: "scalar", properties: { n: 1.5, s: "x", b: true, z: null, l: [1, "a"], o: { v: $v } } }) { event { properties } } }',
      { v: { deep: [1] } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.track.event.properties).toEqual({
      n: 1.5,
      s: 'x',
      b: true,
      z: null,
      l: [1, 'a'],
      o: { v: { deep: [1] } },
    });
  });

  it('an enum literal is refused, not dropped', async () => {
    const result = await t.gql(
      'mutation { track(input: { name: "scalar", properties: { plan: PRO } }) { duplicate } }',
    );
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/JSON/),
      extensions: { code: 'VALIDATION_FAILED' },
    });
  });
});
