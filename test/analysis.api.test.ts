import { beforeAll, describe, expect, it } from 'vitest';

import { insertEvents, type EventRow } from '../src/services/ingest.ts';
import {
  FunnelDocument,
  FunnelStepUnitsDocument,
  LifecycleDocument,
  RetentionDocument,
  StickinessDocument,
  type FunnelInput,
  type FunnelStepUnitsQuery,
} from '../src/sdk/index.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/time.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';
import type { CreatedKey } from '../src/services/keys.ts';

// The four analyses through GraphQL: the cases the definition calls out, each
// on its own project; every out-of-range argument; and FunnelStep.units paging
// with a constant number of statements.

const t = useTestApp();

const T0 = Date.parse('2026-03-02T00:00:00Z'); // a Monday
const at = (ms: number) => new Date(ms).toISOString();

interface Ev {
  name: string;
  profileId?: string | null;
  groups?: string[];
  at: number;
  properties?: Record<string, unknown>;
}

async function project(events: Ev[], groups: { id: string; type?: string; properties?: object }[] = []) {
  const key = await t.createKey('root');
  for (const g of groups) {
    await t.ok(
      'mutation($input: UpsertGroupInput!) { upsertGroup(input: $input) { id } }',
      { input: { id: g.id, type: g.type ?? null, properties: g.properties ?? {} } },
      key,
    );
  }
  const rows: EventRow[] = events.map((e) => ({
    id: uniqueId('e'),
    name: e.name,
    profileId: e.profileId === undefined ? 'p1' : e.profileId,
    deviceId: null,
    sessionId: null,
    groups: e.groups ?? [],
    properties: e.properties ?? {},
    createdAt: at(e.at),
    inherit: false,
  }));
  await insertEvents(t.db.prisma, key.projectId, rows);
  return key;
}

const range = { from: at(T0), to: at(T0 + 7 * DAY_MS) };
const steps = (...names: string[]) => names.map((name) => ({ name }));

async function counts(key: CreatedKey, input: FunnelInput): Promise<number[]> {
  const data = await t.ok(FunnelDocument, { input }, key);
  return data.funnel.steps.map((s) => s.count);
}

describe('funnel cases', () => {
  it('events with equal timestamps serve consecutive steps, in either order', async () => {
    const key = await project([
      { name: 'a', at: T0 + HOUR_MS },
      { name: 'b', at: T0 + HOUR_MS },
    ]);
    expect(await counts(key, { steps: steps('a', 'b'), ...range })).toEqual([1, 1]);
    expect(await counts(key, { steps: steps('b', 'a'), ...range })).toEqual([1, 1]);
    const data = await t.ok(FunnelDocument, { input: { steps: steps('a', 'b'), ...range } }, key);
    expect(data.funnel.steps[1]!.medianSecondsFromPrevious).toBe(0);
  });

  it('a repeated step name needs a second event', async () => {
    const key = await project([
      { name: 'a', profileId: 'once', at: T0 + HOUR_MS },
      { name: 'a', profileId: 'twice', at: T0 + HOUR_MS },
      { name: 'a', profileId: 'twice', at: T0 + 2 * HOUR_MS },
    ]);
    const data = await t.ok(FunnelStepUnitsDocument, { input: { steps: steps('a', 'a'), ...range } }, key);
    expect(data.funnel.steps.map((s) => s.units.edges.map((e) => e.node.id))).toEqual([['once', 'twice'], ['twice']]);
    const dropped = await t.ok(
      FunnelStepUnitsDocument,
      { input: { steps: steps('a', 'a'), ...range }, dropped: true },
      key,
    );
    expect(dropped.funnel.steps.map((s) => s.units.edges.map((e) => e.node.id))).toEqual([['once'], []]);
  });

  it('a window may run past `to`; a step-1 event at `to` does not start a chain', async () => {
    const to = T0 + 7 * DAY_MS;
    const key = await project([
      { name: 'a', profileId: 'late', at: to - HOUR_MS },
      { name: 'b', profileId: 'late', at: to + HOUR_MS },
      { name: 'a', profileId: 'outside', at: to },
      { name: 'b', profileId: 'outside', at: to + MINUTE_MS },
    ]);
    expect(await counts(key, { steps: steps('a', 'b'), ...range, windowSeconds: 86_400 })).toEqual([1, 1]);
    expect(await counts(key, { steps: steps('a', 'b'), ...range, windowSeconds: 1800 })).toEqual([1, 0]);
    const data = await t.ok(
      FunnelDocument,
      { input: { steps: steps('a', 'b'), ...range, windowSeconds: 86_400 } },
      key,
    );
    expect(data.funnel.steps[1]!.medianSecondsFromPrevious).toBe(7200);
  });

  it('placeholder groups and events without a profile never count', async () => {
    const key = await project(
      [
        { name: 'a', profileId: null, groups: ['placeholder', 'acme'], at: T0 + HOUR_MS },
        { name: 'b', profileId: null, groups: ['placeholder', 'acme'], at: T0 + 2 * HOUR_MS },
      ],
      [{ id: 'acme', type: 'company' }],
    );
    expect(await counts(key, { steps: steps('a', 'b'), ...range })).toEqual([0, 0]);
    const company = await t.ok(
      FunnelStepUnitsDocument,
      { input: { steps: steps('a', 'b'), ...range, unit: 'GROUP', groupType: 'company' } },
      key,
    );
    expect(company.funnel.steps[1]!.units.edges.map((e) => e.node.group?.id)).toEqual(['acme']);
    const stick = await t.ok(StickinessDocument, { input: { ...range, unit: 'GROUP', groupType: 'company' } }, key);
    expect(stick.stickiness).toEqual({ intervals: 7, counts: [1, 0, 0, 0, 0, 0, 0] });
    const profiles = await t.ok(StickinessDocument, { input: range }, key);
    expect(profiles.stickiness.counts.every((c) => c === 0)).toBe(true);
  });

  it("a group's current type decides, read after the write that changed it", async () => {
    const key = await project(
      [
        { name: 'a', groups: ['acme'], at: T0 + HOUR_MS },
        { name: 'b', groups: ['acme'], at: T0 + 2 * HOUR_MS },
      ],
      [{ id: 'acme', type: 'company' }],
    );
    const input = (groupType: string) => ({ steps: steps('a', 'b'), ...range, unit: 'GROUP' as const, groupType });
    expect(await counts(key, input('company'))).toEqual([1, 1]);
    await t.ok('mutation { upsertGroup(input: { id: "acme", type: "workspace" }) { id } }', {}, key);
    expect(await counts(key, input('company'))).toEqual([0, 0]);
    expect(await counts(key, input('workspace'))).toEqual([1, 1]);
    const lifecycle = await t.ok(
      LifecycleDocument,
      { input: { ...range, interval: 'DAY', unit: 'GROUP', groupType: 'workspace' } },
      key,
    );
    expect(lifecycle.lifecycle.buckets.map((b) => [b.new, b.dormant])).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });
});

describe('retention cases', () => {
  it('empty cohorts, and incomplete periods that no average counts', async () => {
    const now = Date.now();
    const monday = (() => {
      const d = new Date(now);
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      return start - ((d.getUTCDay() + 6) % 7) * DAY_MS;
    })();
    const key = await project([{ name: 'a', at: Math.max(monday, now - MINUTE_MS) }]);
    const data = await t.ok(
      RetentionDocument,
      { input: { from: at(monday - 14 * DAY_MS), to: at(now + MINUTE_MS), periods: 2 } },
      key,
    );
    const { cohorts, average } = data.retention;
    expect(cohorts.map((c) => c.size)).toEqual([0, 0, 1]);
    expect(cohorts[0]).toMatchObject({ values: [0, 0, 0], fractions: [0, 0, 0], complete: [true, true, false] });
    expect(cohorts[2]).toMatchObject({ values: [1, 0, 0], fractions: [1, 0, 0], complete: [false, false, false] });
    expect(average).toEqual([null, null, null]);
  });
});

describe('FunnelStep.units', () => {
  let key: CreatedKey;
  const input = { steps: steps('a', 'b'), ...range, unit: 'GROUP' as const, groupType: 'company' };

  beforeAll(async () => {
    const groups = Array.from({ length: 60 }, (_, i) => ({ id: `org${String(i).padStart(2, '0')}`, type: 'company' }));
    key = await project(
      groups.flatMap((g, i) => [
        { name: 'a', profileId: null, groups: [g.id], at: T0 + i * MINUTE_MS },
        ...(i % 3 ? [{ name: 'b', profileId: null, groups: [g.id], at: T0 + HOUR_MS + i * MINUTE_MS }] : []),
      ]),
      groups,
    );
  });

  async function statementsFor(first: number) {
    t.statements.length = 0;
    const data = await t.ok(FunnelStepUnitsDocument, { input, first }, key);
    return { count: t.statements.length, nodes: data.funnel.steps[1]!.units.edges.length };
  }

  it('a page of 50 units with their groups costs the statements of a page of 2', async () => {
    const small = await statementsFor(2);
    const large = await statementsFor(50);
    expect(small.nodes).toBe(2);
    expect(large.nodes).toBe(40);
    expect(large.count).toBe(small.count);
  });

  it('pages follow each other without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const data: FunnelStepUnitsQuery = await t.ok(
        FunnelStepUnitsDocument,
        { input, first: 7, after, dropped: true },
        key,
      );
      const units = data.funnel.steps[0]!.units;
      seen.push(...units.edges.map((e) => e.node.id));
      if (!units.pageInfo.hasNextPage) break;
      after = units.pageInfo.endCursor;
    }
    expect(seen).toEqual(
      Array.from({ length: 60 }, (_, i) => `org${String(i).padStart(2, '0')}`).filter((_, i) => i % 3 === 0),
    );
  });
});

describe('out-of-range arguments are VALIDATION_FAILED naming the field', () => {
  const funnel = { steps: steps('a', 'b'), ...range };
  const bucketed = { ...range };
  const cases: [string, unknown, object, string][] = [
    ['one step', FunnelDocument, { ...funnel, steps: steps('a') }, 'input.steps'],
    ['eleven steps', FunnelDocument, { ...funnel, steps: steps(...'abcdefghijk') }, 'input.steps'],
    ['a zero window', FunnelDocument, { ...funnel, windowSeconds: 0 }, 'input.windowSeconds'],
    ['a negative window', FunnelDocument, { ...funnel, windowSeconds: -60 }, 'input.windowSeconds'],
    ['a funnel over 367 days', FunnelDocument, { ...funnel, to: at(T0 + 367 * DAY_MS) }, 'input.to'],
    ['to before from', FunnelDocument, { ...funnel, to: at(T0 - DAY_MS) }, 'input.to'],
    ['GROUP without groupType', FunnelDocument, { ...funnel, unit: 'GROUP' }, 'input.groupType'],
    ['filter.from', FunnelDocument, { ...funnel, filter: { from: at(T0) } }, 'input.filter.from'],
    [
      'filter.eventNames in a funnel',
      FunnelDocument,
      { ...funnel, filter: { eventNames: ['a'] } },
      'input.filter.eventNames',
    ],
    [
      'GROUP_PROPERTY per profile',
      FunnelDocument,
      { ...funnel, breakdown: 'GROUP_PROPERTY', breakdownProperty: 'plan' },
      'input.breakdown',
    ],
    [
      'a breakdown without property',
      FunnelDocument,
      { ...funnel, breakdown: 'EVENT_PROPERTY' },
      'input.breakdownProperty',
    ],
    ['limit 0', FunnelDocument, { ...funnel, limit: 0 }, 'input.limit'],
    ['an empty step name', FunnelDocument, { ...funnel, steps: steps('a', '') }, 'input.steps[1].name'],
    ['periods 0', RetentionDocument, { ...bucketed, periods: 0 }, 'input.periods'],
    ['periods 53', RetentionDocument, { ...bucketed, periods: 53 }, 'input.periods'],
    ['retention over 4 years', RetentionDocument, { ...bucketed, to: at(T0 + 4 * 365 * DAY_MS) }, 'input.to'],
    ['retention GROUP without groupType', RetentionDocument, { ...bucketed, unit: 'GROUP' }, 'input.groupType'],
    ['retention filter.to', RetentionDocument, { ...bucketed, filter: { to: at(T0) } }, 'input.filter.to'],
    ['an unknown time zone', RetentionDocument, { ...bucketed, timezone: 'Mars/Olympus' }, 'input.timezone'],
    ['lifecycle filter.from', LifecycleDocument, { ...bucketed, filter: { from: at(T0) } }, 'input.filter.from'],
    ['lifecycle GROUP without groupType', LifecycleDocument, { ...bucketed, unit: 'GROUP' }, 'input.groupType'],
    ['stickiness over 4 years', StickinessDocument, { ...bucketed, to: at(T0 + 4 * 365 * DAY_MS) }, 'input.to'],
    ['stickiness groupType per profile', StickinessDocument, { ...bucketed, groupType: 'company' }, 'input.groupType'],
  ];

  it.each(cases)('%s', async (_label, document, input, field) => {
    const result = await t.gql(document as typeof FunnelDocument, { input: input as FunnelInput });
    expect(result.status).toBe(200);
    expect(result.errors?.[0]?.extensions, JSON.stringify(result.errors)).toMatchObject({
      code: 'VALIDATION_FAILED',
      field,
    });
  });
});
