import { describe, expect, it } from 'vitest';

import {
  chainStartValues,
  funnelBreakdown,
  funnelSteps,
  funnelUnits,
  unitsAtStep,
} from '../src/services/analysis/compute/funnel.ts';
import { computeLifecycle } from '../src/services/analysis/compute/lifecycle.ts';
import { computeRetention } from '../src/services/analysis/compute/retention.ts';
import { computeStickiness } from '../src/services/analysis/compute/stickiness.ts';
import { packUnitBuckets } from '../src/services/analysis/compute/unitBuckets.ts';
import {
  bucketOf,
  bucketsIn,
  compareText,
  eventMatches,
  funnel,
  jsonbText,
  lifecycle,
  midnight,
  propertyMatches,
  retention,
  shiftBucket,
  stickiness,
  unitsOf,
  type FunnelQuery,
  type Interval,
  type LifecycleQuery,
  type LocalDate,
  type RefEvent,
  type RefFunnel,
  type RefFunnelStep,
  type RefLifecycle,
  type RefRetention,
  type RefStickiness,
  type RetentionQuery,
  type World,
} from './reference/analysis.ts';
import {
  DAY,
  HOUR,
  random,
  randomFunnel,
  randomLifecycle,
  randomRetention,
  randomWorld,
} from './reference/randomWorld.ts';

// The pure analysis computations (src/services/analysis/compute) against the
// plain reference (test/reference/analysis.ts). The bridge below plays the SQL
// side: it reduces a world to the compact per-unit data the computations take
// (step masks, bucket indexes), as the service's queries will.

// ---------------------------------------------------------------- bridge

const byTimeThenId = (a: RefEvent, b: RefEvent) =>
  a.createdAt.getTime() - b.createdAt.getTime() || compareText(a.id, b.id);

/** Each unit's events passing the filter and `keep`, units in id order. */
function unitEvents(world: World, q: FunnelQuery | RetentionQuery | LifecycleQuery, keep: (e: RefEvent) => boolean) {
  const byUnit = new Map<string, RefEvent[]>();
  for (const e of [...world.events].sort(byTimeThenId)) {
    if (!eventMatches(e, q.filter ?? {}, world) || !keep(e)) continue;
    for (const unit of unitsOf(e, world, q)) byUnit.set(unit, [...(byUnit.get(unit) ?? []), e]);
  }
  return [...byUnit].sort(([a], [b]) => compareText(a, b));
}

/** Value ids numbered in sort order, so the computation's ties break as the values do. */
function valueIds(values: (string | null)[]) {
  const names = [...new Set(values.filter((v): v is string => v !== null))].sort(compareText);
  const ids = new Map(names.map((name, i) => [name, i]));
  return { names, id: (v: string | null) => (v === null ? -1 : ids.get(v)!) };
}

function viaCompute(world: World, q: FunnelQuery): RefFunnel {
  const steps = q.steps.length;
  const mask = (e: RefEvent) =>
    q.steps.reduce(
      (m, s, i) =>
        e.name === s.name && (s.properties ?? []).every((p) => propertyMatches(e.properties, p)) ? m | (1 << i) : m,
      0,
    );
  const units = unitEvents(world, q, (e) => mask(e) !== 0);
  const flat = units.flatMap(([, events]) => events);
  const unitStart = new Int32Array(units.length + 1);
  units.forEach(([, events], u) => (unitStart[u + 1] = unitStart[u]! + events.length));
  const result = funnelUnits(
    {
      unitStart,
      times: Float64Array.from(flat, (e) => e.createdAt.getTime()),
      stepMasks: Uint16Array.from(flat, mask),
    },
    { steps, from: q.from.getTime(), to: q.to.getTime(), windowMs: (q.windowSeconds ?? 1_209_600) * 1000 },
  );
  const ids = (list: Int32Array) => Array.from(list, (u) => units[u]![0]);
  const stepsOf = (members?: Int32Array): RefFunnelStep[] =>
    funnelSteps(result, members).map((totals, k) => ({
      index: k,
      name: q.steps[k]!.name,
      ...totals,
      units: ids(unitsAtStep(result, k, false, members)),
      droppedUnits: ids(unitsAtStep(result, k, true, members)),
    }));
  const out: RefFunnel = { steps: stepsOf(), breakdowns: [] };
  if (q.breakdown) {
    const property = q.breakdownProperty!;
    const eventValues = flat.map((e) => jsonbText(e.properties[property]));
    const unitValues = units.map(([u]) => jsonbText(world.groups.get(u)?.properties[property]));
    const values = valueIds(q.breakdown === 'EVENT_PROPERTY' ? eventValues : unitValues);
    const perUnit =
      q.breakdown === 'EVENT_PROPERTY'
        ? chainStartValues(result, Int32Array.from(eventValues, values.id))
        : Int32Array.from(unitValues, values.id);
    out.breakdowns = funnelBreakdown(result, perUnit, q.limit ?? 10).map((series) => ({
      value: series.value < 0 ? null : values.names[series.value]!,
      steps: stepsOf(series.members),
    }));
  }
  return out;
}

/** Bucket indexes from the first bucket of the range (bucket 0), as the SQL side will number them. */
function calendar(q: RetentionQuery | LifecycleQuery, defaultInterval: Interval) {
  const interval = q.interval ?? defaultInterval;
  const tz = q.timezone ?? 'UTC';
  const buckets = bucketsIn(interval, tz, q.from.getTime(), q.to.getTime());
  const origin: LocalDate = buckets[0] ?? bucketOf(q.from.getTime(), interval, tz);
  const days = (d: LocalDate) => Date.UTC(d.y, d.mo - 1, d.d) / DAY;
  const index = (t: number) => {
    const d = bucketOf(t, interval, tz);
    if (interval === 'MONTH') return (d.y - origin.y) * 12 + d.mo - origin.mo;
    return Math.round((days(d) - days(origin)) / (interval === 'WEEK' ? 7 : 1));
  };
  const startOf = (i: number) => new Date(midnight(shiftBucket(origin, interval, i), tz)).toISOString();
  const endedBefore = (now: number, max: number) => {
    let ended = 0;
    while (ended < max && midnight(shiftBucket(origin, interval, ended + 1), tz) <= now) ended++;
    return ended;
  };
  return { count: buckets.length, index, startOf, endedBefore };
}

function retentionViaCompute(world: World, q: RetentionQuery): RefRetention {
  const cal = calendar(q, 'WEEK');
  const periods = q.periods ?? 8;
  const units = unitEvents(world, q, () => true);
  const cohorts = units.map(([, events]) => {
    const starts = events
      .filter((e) => q.startEvent == null || e.name === q.startEvent)
      .map((e) => e.createdAt.getTime());
    if ((q.cohortType ?? 'FIRST_TIME') === 'RECURRING') return starts.map(cal.index);
    const first = starts[0];
    return first !== undefined && first >= q.from.getTime() && first < q.to.getTime() ? [cal.index(first)] : [];
  });
  const returns = units.map(([, events]) =>
    events
      .filter((e) => q.returnEvent == null || e.name === q.returnEvent)
      .map((e) => cal.index(e.createdAt.getTime())),
  );
  const counts = computeRetention(
    { cohorts: packUnitBuckets(cohorts), returns: packUnitBuckets(returns) },
    {
      cohorts: cal.count,
      periods,
      criteria: q.criteria ?? 'ON',
      endedBuckets: cal.endedBefore(world.now.getTime(), cal.count + periods + 1),
    },
  );
  return {
    cohorts: counts.cohorts.map((c, i) => ({ start: cal.startOf(i), ...c })),
    average: counts.average,
  };
}

function activityViaCompute(world: World, q: LifecycleQuery, defaultInterval: Interval) {
  const cal = calendar(q, defaultInterval);
  const units = unitEvents(world, q, (e) => !q.eventNames?.length || q.eventNames.includes(e.name));
  const active = packUnitBuckets(units.map(([, events]) => events.map((e) => cal.index(e.createdAt.getTime()))));
  const first = Int32Array.from(units, ([, events]) => cal.index(events[0]!.createdAt.getTime()));
  return { cal, active, first };
}

function lifecycleViaCompute(world: World, q: LifecycleQuery): RefLifecycle {
  const { cal, active, first } = activityViaCompute(world, q, 'WEEK');
  return {
    buckets: computeLifecycle({ first, active }, cal.count).map((row, i) => ({ bucket: cal.startOf(i), ...row })),
  };
}

function stickinessViaCompute(world: World, q: LifecycleQuery): RefStickiness {
  const { cal, active } = activityViaCompute(world, q, 'DAY');
  return computeStickiness(active, cal.count);
}

/** Both implementations of one analysis: they must agree; the caller checks the answer itself. */
function agree<Q, R>(reference: (world: World, q: Q) => R, computed: (world: World, q: Q) => R) {
  return (world: World, q: Q): R => {
    const expected = reference(world, q);
    expect(computed(world, q), JSON.stringify(q)).toEqual(expected);
    return expected;
  };
}

const both = {
  funnel: agree(funnel, viaCompute),
  retention: agree(retention, retentionViaCompute),
  lifecycle: agree(lifecycle, lifecycleViaCompute),
  stickiness: agree(stickiness, stickinessViaCompute),
};

// ---------------------------------------------------------------- randomized equality

const SEEDS = Number(process.env.ANALYSIS_SEEDS ?? 20);
const FIRST_SEED = Number(process.env.ANALYSIS_SEED ?? 20261201);

describe('the analysis computations equal the reference on random worlds', () => {
  // What the comparisons exercised, checked at the end so a generator change cannot silently weaken them.
  const seen = {
    levels: new Set<number>(),
    repeatedNamesReached: 0,
    tiedStepEvents: 0,
    breakdownSeries: 0,
    retentionNonEmpty: 0,
    incomplete: 0,
    lifecycleKinds: new Set<string>(),
    stickinessSpread: 0,
  };

  for (let s = 0; s < SEEDS; s++) {
    it(`seed ${FIRST_SEED + s}`, () => {
      const rng = random(FIRST_SEED + s);
      const world = randomWorld(rng, { events: 2500 + Math.floor(rng() * 1500) });
      for (let n = 0; n < 8; n++) {
        const q = randomFunnel(rng);
        const expected = both.funnel(world, q);
        expected.steps.forEach((step) => step.count > 0 && seen.levels.add(step.index + 1));
        const names = q.steps.map((step) => step.name);
        const repeatAt = names.findIndex((name, i) => names.indexOf(name) < i);
        if (repeatAt > 0 && expected.steps[repeatAt]!.count > 0) seen.repeatedNamesReached++;
        seen.breakdownSeries += expected.breakdowns.length;
        const tied = expected.steps.slice(1).some((step) => step.medianSecondsFromPrevious === 0);
        if (tied) seen.tiedStepEvents++;
      }
      for (let n = 0; n < 6; n++) {
        const q = randomRetention(rng);
        const expected = both.retention(world, q);
        if (expected.cohorts.some((c) => c.values.slice(1).some((v) => v > 0))) seen.retentionNonEmpty++;
        if (expected.cohorts.some((c) => c.size > 0 && c.complete.includes(false))) seen.incomplete++;
      }
      for (let n = 0; n < 4; n++) {
        const q = randomLifecycle(rng);
        const expected = both.lifecycle(world, q);
        for (const row of expected.buckets)
          for (const kind of ['new', 'returning', 'resurrecting', 'dormant'] as const)
            if (row[kind] > 0) seen.lifecycleKinds.add(kind);
      }
      for (let n = 0; n < 4; n++) {
        const q = randomLifecycle(rng, ['DAY', 'DAY', 'WEEK']);
        const expected = both.stickiness(world, q);
        if (expected.counts.filter((c) => c > 0).length >= 3) seen.stickinessSpread++;
      }
    });
  }

  it('the random questions exercised what they are for', () => {
    if (SEEDS < 20) return;
    expect([...seen.levels].sort()).toEqual(expect.arrayContaining([1, 2, 3, 4]));
    expect(seen.repeatedNamesReached).toBeGreaterThan(10);
    expect(seen.tiedStepEvents).toBeGreaterThan(5);
    expect(seen.breakdownSeries).toBeGreaterThan(30);
    expect(seen.retentionNonEmpty).toBeGreaterThan(40);
    expect(seen.incomplete).toBeGreaterThan(10);
    expect(seen.lifecycleKinds.size).toBe(4);
    expect(seen.stickinessSpread).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------- direct cases

const T0 = Date.parse('2026-03-02T00:00:00Z'); // a Monday
let serial = 0;
const at = (ms: number) => new Date(T0 + ms);
const event = (name: string, unit: string | null, ms: number, extra: Partial<RefEvent> = {}): RefEvent => ({
  id: `d${String(serial++).padStart(4, '0')}`,
  name,
  profileId: unit,
  groupIds: [],
  properties: {},
  createdAt: at(ms),
  ...extra,
});
const worldOf = (events: RefEvent[], now = T0 + 400 * DAY, groups: [string, string | null][] = []): World => ({
  events,
  groups: new Map(groups.map(([id, type]) => [id, { type, properties: { plan: `${id}-plan` } }])),
  now: new Date(now),
});
const steps = (...names: string[]) => names.map((name) => ({ name }));
const counts = (f: RefFunnel) => f.steps.map((s) => s.count);
const range = { from: at(0), to: at(DAY) };

describe('funnel: the tricky points', () => {
  it('events with equal timestamps may follow each other in any id order', () => {
    const world = worldOf([event('C', 'u', HOUR), event('B', 'u', HOUR), event('A', 'u', HOUR)]);
    const result = both.funnel(world, { steps: steps('A', 'B', 'C'), ...range });
    expect(counts(result)).toEqual([1, 1, 1]);
    expect(result.steps.map((s) => s.medianSecondsFromPrevious)).toEqual([null, 0, 0]);
  });

  it('a repeated step name needs a second event, which may share the timestamp', () => {
    const one = worldOf([event('A', 'u', 0), event('B', 'u', 10)]);
    expect(counts(both.funnel(one, { steps: steps('A', 'A', 'B'), ...range }))).toEqual([1, 0, 0]);
    const two = worldOf([event('A', 'u', 0), event('A', 'u', 0), event('B', 'u', 10)]);
    expect(counts(both.funnel(two, { steps: steps('A', 'A', 'B'), ...range }))).toEqual([1, 1, 1]);
    const aba = worldOf([event('A', 'u', 0), event('B', 'u', 10), event('A', 'u', 20)]);
    expect(counts(both.funnel(aba, { steps: steps('A', 'B', 'A'), ...range }))).toEqual([1, 1, 1]);
    expect(counts(both.funnel(aba, { steps: steps('A', 'B', 'A', 'B'), ...range }))).toEqual([1, 1, 1, 0]);
  });

  it('tied events serve the steps that need them (one event matching two steps)', () => {
    // Step 2 takes any A, step 3 only an A with p = 1: the p = 2 event must serve step 2.
    const world = worldOf([
      event('S', 'u', 0),
      event('A', 'u', 5000, { properties: { p: 1 } }),
      event('A', 'u', 5000, { properties: { p: 2 } }),
    ]);
    const q = {
      steps: [{ name: 'S' }, { name: 'A' }, { name: 'A', properties: [{ key: 'p', op: 'EQ' as const, value: 1 }] }],
      ...range,
    };
    const result = both.funnel(world, q);
    expect(counts(result)).toEqual([1, 1, 1]);
    expect(result.steps.map((s) => s.medianSecondsFromPrevious)).toEqual([null, 5, 0]);
  });

  it('later steps may fall after `to` within the window; step 1 may not', () => {
    const world = worldOf([
      event('A', 'early', DAY - 1000),
      event('B', 'early', DAY + HOUR),
      event('A', 'late', DAY),
      event('B', 'late', DAY + 10),
    ]);
    const result = both.funnel(world, { steps: steps('A', 'B'), ...range, windowSeconds: 2 * 3600 });
    expect(result.steps[1]!.units).toEqual(['early']);
    expect(result.steps[0]!.units).toEqual(['early']);
    // The window is inclusive: exactly t₁ + window still counts, 1 ms more does not.
    const edge = worldOf([event('A', 'u', 0), event('B', 'u', 60_000), event('A', 'v', 0), event('B', 'v', 60_001)]);
    expect(both.funnel(edge, { steps: steps('A', 'B'), ...range, windowSeconds: 60 }).steps[1]!.units).toEqual(['u']);
  });

  it('the chain starts at the earliest step-1 event reaching the level; medians take the middle two', () => {
    const world = worldOf([
      event('A', 'u', 0, { properties: { kind: 'first' } }), // reaches step 1 only (window 1 h)
      event('A', 'u', 10 * HOUR, { properties: { kind: 'second' } }),
      event('B', 'u', 10 * HOUR + 4000),
      event('A', 'v', 0, { properties: { kind: 'first' } }),
      event('B', 'v', 2000),
      event('A', 'v', 1000, { properties: { kind: 'third' } }),
    ]);
    const result = both.funnel(world, {
      steps: steps('A', 'B'),
      ...range,
      windowSeconds: 3600,
      breakdown: 'EVENT_PROPERTY',
      breakdownProperty: 'kind',
    });
    expect(result.steps[1]!.medianSecondsFromPrevious).toBe(3); // gaps 4 s and 2 s
    expect(result.breakdowns.map((b) => [b.value, b.steps[0]!.units])).toEqual([
      ['first', ['v']],
      ['second', ['u']],
    ]);
  });

  it('conversions, drop-off and units(dropped) per step, and an empty funnel', () => {
    const world = worldOf([
      event('A', 'a', 0),
      event('A', 'b', 0),
      event('B', 'b', 1),
      event('A', 'c', 0),
      event('B', 'c', 1),
      event('C', 'c', 2),
      event('B', 'd', 0), // no step-1 event: not in the funnel
    ]);
    const result = both.funnel(world, { steps: steps('A', 'B', 'C'), ...range });
    expect(result.steps.map((s) => [s.count, s.conversionFromStart, s.conversionFromPrevious, s.dropOff])).toEqual([
      [3, 1, 1, 1],
      [2, 2 / 3, 2 / 3, 1],
      [1, 1 / 3, 1 / 2, 0],
    ]);
    expect(result.steps.map((s) => s.droppedUnits)).toEqual([['a'], ['b'], []]);
    const empty = both.funnel(world, { steps: steps('X', 'A'), ...range });
    expect(empty.steps.map((s) => [s.count, s.conversionFromStart, s.conversionFromPrevious, s.dropOff])).toEqual([
      [0, 1, 1, 0],
      [0, 0, 0, 0],
    ]);
    expect(empty.steps[1]!.medianSecondsFromPrevious).toBeNull();
  });

  it('placeholder groups and events without a profile never count; a group counts by its current type', () => {
    const tagged = (name: string, ms: number, groupIds: string[], profileId: string | null = null) =>
      event(name, profileId, ms, { groupIds });
    const events = [
      tagged('A', 0, ['placeholder', 'acme']),
      tagged('B', 1, ['placeholder', 'acme']),
      tagged('A', 0, ['gone']), // a deleted group
      tagged('B', 1, ['gone']),
      tagged('A', 0, ['squad'], 'p1'),
      tagged('B', 1, ['squad']),
    ];
    const groups: [string, string | null][] = [
      ['placeholder', null],
      ['acme', 'company'],
      ['squad', 'team'],
    ];
    const world = worldOf(events, undefined, groups);
    const q = { steps: steps('A', 'B'), ...range };
    expect(both.funnel(world, { ...q, unit: 'GROUP', groupType: 'company' }).steps[1]!.units).toEqual(['acme']);
    expect(both.funnel(world, { ...q, unit: 'PROFILE' }).steps.map((s) => s.units)).toEqual([['p1'], []]);
    // squad becomes a company: all its past events count for companies now, none for teams.
    const changed = worldOf(events, undefined, [...groups.slice(0, 2), ['squad', 'company']]);
    expect(both.funnel(changed, { ...q, unit: 'GROUP', groupType: 'company' }).steps[1]!.units).toEqual([
      'acme',
      'squad',
    ]);
    expect(counts(both.funnel(changed, { ...q, unit: 'GROUP', groupType: 'team' }))).toEqual([0, 0]);
    expect(
      both.lifecycle(world, { unit: 'GROUP', groupType: 'team', ...range, interval: 'DAY' }).buckets[0],
    ).toMatchObject({ new: 1 });
  });
});

describe('retention, lifecycle and stickiness: the tricky points', () => {
  const week = 7 * DAY;

  it('empty cohorts, incomplete periods: complete false, average null', () => {
    // Cohort week 0: u (returns in week 2), v (never returns). Week 1: empty. Week 2: w. Now is in week 2.
    const world = worldOf(
      [
        event('x', 'u', HOUR),
        event('x', 'u', 2 * week + 2 * HOUR),
        event('x', 'v', 2 * HOUR),
        event('x', 'w', 2 * week + HOUR),
      ],
      T0 + 2 * week + DAY,
    );
    const q: RetentionQuery = { from: at(0), to: at(3 * week), periods: 3 };
    const on = both.retention(world, q);
    expect(on.cohorts.map((c) => [c.size, c.values, c.complete])).toEqual([
      [2, [2, 0, 1, 0], [true, true, false, false]],
      [0, [0, 0, 0, 0], [true, false, false, false]],
      [1, [1, 0, 0, 0], [false, false, false, false]],
    ]);
    expect(on.cohorts[0]!.fractions).toEqual([1, 0, 0.5, 0]);
    expect(on.cohorts[1]!.fractions).toEqual([0, 0, 0, 0]);
    expect(on.average).toEqual([1, 0, null, null]);
    const later = both.retention(world, { ...q, criteria: 'ON_OR_AFTER' });
    expect(later.cohorts[0]!.values).toEqual([2, 1, 1, 0]);
  });

  it('FIRST_TIME keeps a unit only when its first-ever start event is in range; RECURRING joins every bucket', () => {
    const world = worldOf([
      event('x', 'old', -week), // first seen before the range
      event('x', 'old', HOUR),
      event('x', 'old', week + HOUR),
      event('x', 'new', week + HOUR),
    ]);
    const q: RetentionQuery = { from: at(0), to: at(2 * week), periods: 1 };
    expect(both.retention(world, q).cohorts.map((c) => c.size)).toEqual([0, 1]);
    const recurring = both.retention(world, { ...q, cohortType: 'RECURRING' });
    expect(recurring.cohorts.map((c) => c.values)).toEqual([
      [1, 1],
      [2, 0],
    ]);
  });

  it('lifecycle: new, returning, resurrecting, dormant', () => {
    const world = worldOf([
      event('x', 'a', -2 * week), // a: active weeks −2, 0, 1 → resurrecting, returning, dormant in 2
      event('x', 'a', HOUR),
      event('x', 'a', week + HOUR),
      event('x', 'b', -week), // b: active −1 → dormant in 0, new never
      event('x', 'c', week + HOUR), // c: new in week 1, dormant in week 2
    ]);
    const result = both.lifecycle(world, { from: at(0), to: at(3 * week) });
    expect(result.buckets.map(({ bucket, ...kinds }) => kinds)).toEqual([
      { new: 0, returning: 0, resurrecting: 1, dormant: 1 },
      { new: 1, returning: 1, resurrecting: 0, dormant: 0 },
      { new: 0, returning: 0, resurrecting: 0, dormant: 2 },
    ]);
  });

  it('stickiness counts units by active days; DST days are buckets like any other', () => {
    const berlin = Date.parse('2026-03-28T23:00:00Z'); // local midnight of the 23-hour day 29 March
    const world = worldOf([
      event('x', 'u', berlin - T0 + HOUR),
      event('x', 'u', berlin - T0 + 22 * HOUR + 30 * 60_000), // 23:30 local, still 29 March
      event('x', 'v', berlin - T0 + 23 * HOUR), // 30 March
      event('x', 'v', berlin - T0 + 2 * HOUR),
    ]);
    const q = {
      from: new Date(berlin),
      to: new Date(berlin + 47 * HOUR),
      interval: 'DAY' as const,
      timezone: 'Europe/Berlin',
    };
    expect(both.stickiness(world, q)).toEqual({ intervals: 2, counts: [1, 1] });
    expect(
      bucketsIn('WEEK', 'Europe/Berlin', berlin - 6 * DAY, berlin + 7 * DAY).map((d) => midnight(d, 'Europe/Berlin')),
    ).toEqual([Date.parse('2026-03-22T23:00:00Z'), Date.parse('2026-03-29T22:00:00Z')]);
  });
});
