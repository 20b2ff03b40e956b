import { describe, expect, it } from 'vitest';

import { demoEvents } from '../src/cli/demo/events.ts';
import { createDemoPopulation } from '../src/cli/demo/population.ts';
import { pick, seededRandom } from '../src/cli/demo/random.ts';
import { DAY_MS } from '../src/time.ts';
import { funnel, lifecycle, retention, type World } from './reference/analysis.ts';

// The demo generator is pure and seeded: the benchmark and `groupgraph seed`
// rely on a seed giving the same data every time. Storing it is tested with the
// aggregation (test/aggregation.random.test.ts).
describe('the seeded demo generator', () => {
  const now = new Date('2026-04-02T00:00:00Z');

  it('seededRandom repeats its sequence for a seed, differs across seeds, and stays in [0, 1)', () => {
    const draw = (seed: number) => Array.from({ length: 1000 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    const values = draw(7);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const random = seededRandom(1);
    const picked = new Set(Array.from({ length: 200 }, () => pick(random, ['a', 'b', 'c'])));
    expect([...picked].sort()).toEqual(['a', 'b', 'c']);
  });

  it('a seed gives the same population and events; another seed or run gives others', () => {
    const population = (seed: number) => createDemoPopulation({ companies: 12, seed, now, days: 14 });
    const events = (seed: number, run = 0) => [...demoEvents(population(seed), { count: 800, run })];
    const first = events(3);
    expect(first).toEqual(events(3));
    expect(first).toHaveLength(800);
    expect(first.map((e) => e.createdAt)).not.toEqual(events(4).map((e) => e.createdAt));

    const ids = new Set(first.map((e) => e.id));
    expect(ids.size).toBe(800);
    const nextRun = events(3, 1);
    expect(nextRun.some((e) => ids.has(e.id))).toBe(false);

    const windowStart = now.getTime() - 14 * DAY_MS;
    for (const e of first) {
      const at = Date.parse(e.createdAt);
      expect(at).toBeGreaterThanOrEqual(windowStart);
      expect(at).toBeLessThan(now.getTime());
    }
  });
});

describe('the demo tells the stories the account analyses are for', () => {
  const now = new Date('2026-04-02T00:00:00Z');
  const days = 90;
  const population = createDemoPopulation({ companies: 40, seed: 5, now, days });
  const rows = [...demoEvents(population, { count: 40_000 })];
  const world: World = {
    events: rows.map((e) => ({
      id: e.id,
      name: e.name,
      profileId: e.profileId,
      groupIds: e.groups,
      properties: e.properties,
      createdAt: new Date(e.createdAt),
    })),
    groups: new Map(
      population.companies.flatMap((c) => [
        [c.id, { type: 'company' as string, properties: { plan: c.plan } as Record<string, unknown> }] as const,
        ...c.teams.map((t) => [t.id, { type: 'team' as string, properties: {} }] as const),
      ]),
    ),
    now,
  };
  const company = { unit: 'GROUP', groupType: 'company' } as const;
  const windowStart = new Date(now.getTime() - days * DAY_MS);

  it('records an assign_group event for every membership that starts in the window, as setGroups would', () => {
    const expected = population.users.flatMap((u) => {
      const starts = new Map<number, string[]>();
      for (const p of u.periods)
        if (p.joinedAt >= windowStart.getTime()) starts.set(p.joinedAt, [...(starts.get(p.joinedAt) ?? []), p.groupId]);
      return [...starts.values()].map((groups) => `${u.id} ${[...groups].sort().join(',')}`);
    });
    const assigned = rows.filter((e) => e.name === 'assign_group');
    expect(assigned.length).toBeGreaterThan(20);
    expect(assigned.map((e) => `${e.profileId} ${[...e.groups].sort().join(',')}`).sort()).toEqual(expected.sort());
    for (const e of assigned) expect(e.properties).toEqual({ added: [...e.groups].sort() });
    expect([...demoEvents(population, { count: 2_000, run: 1 })].some((e) => e.name === 'assign_group')).toBe(false);
  });

  it('a report funnel with visible drop-off', () => {
    const steps = ['invite_sent', 'report_viewed', 'report_exported'].map((name) => ({ name }));
    const result = funnel(world, { ...company, steps, from: windowStart, to: now, windowSeconds: 7 * 86_400 });
    const counts = result.steps.map((s) => s.count);
    expect(counts[0]).toBeGreaterThan(counts[2]!);
    expect(counts[2]).toBeGreaterThan(0);
  });

  it('companies that go dormant and resurrect', () => {
    const result = lifecycle(world, { ...company, from: windowStart, to: now, interval: 'WEEK' });
    const total = (kind: 'resurrecting' | 'dormant' | 'new') => result.buckets.reduce((n, b) => n + b[kind], 0);
    expect(total('dormant')).toBeGreaterThan(5);
    expect(total('resurrecting')).toBeGreaterThan(3);
    expect(total('new')).toBeGreaterThan(3);
  });

  it('weekly cohorts that decay', () => {
    for (const unit of [company, { unit: 'PROFILE' } as const]) {
      const result = retention(world, { ...unit, from: windowStart, to: now, interval: 'WEEK', periods: 6 });
      const average = result.average as number[];
      expect(average[1]).toBeLessThan(0.95);
      expect(average[6]).toBeLessThan(average[1]!);
    }
  });
});
