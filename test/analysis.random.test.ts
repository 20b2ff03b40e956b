import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { FunnelAnswer, FunnelStepAnswer } from '../src/services/analysis/accounts/funnel.ts';
import { AccountAnalysisService } from '../src/services/analysis/accounts/service.ts';
import { GroupService } from '../src/services/groups.ts';
import { insertEvents, type EventRow } from '../src/services/ingest.ts';
import { KeyService } from '../src/services/keys.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { uniqueId } from './helpers/app.ts';
import { funnel, lifecycle, retention, stickiness, type RefFunnel, type World } from './reference/analysis.ts';
import {
  chance,
  random,
  randomFunnel,
  randomLifecycle,
  randomRetention,
  randomWorld,
  type Rng,
} from './reference/randomWorld.ts';

// Every answer of the account-level analyses must equal the plain reference
// (test/reference/analysis.ts) on random worlds: equal timestamps, multi-group
// and group-less events, events without a profile, placeholder and deleted
// groups, DST and half-hour zones, incomplete periods. Questions cover both
// units and every option; the bucketed ones read the daily activity rows or
// the events depending on the question, and both paths are exercised.

let db: TestDatabase;
const statements: string[] = [];
beforeAll(async () => {
  db = await createTestDatabase({ onStatement: (sql) => statements.push(sql) });
});
afterAll(async () => db?.dispose());

/** Stores a reference world in a new project: events as given, groups typed, deleted ones deleted. */
async function store(world: World, rng: Rng): Promise<string> {
  const projectId = (await new KeyService(db.prisma).create(uniqueId('analysis'), 'read')).projectId;
  const rows: EventRow[] = world.events.map((e) => ({
    id: e.id,
    name: e.name,
    profileId: e.profileId,
    deviceId: null,
    sessionId: null,
    groups: e.groupIds,
    properties: e.properties,
    createdAt: e.createdAt.toISOString(),
    inherit: false,
  }));
  for (let i = 0; i < rows.length; i += 500) await insertEvents(db.prisma, projectId, rows.slice(i, i + 500));
  const groups = new GroupService(db.prisma);
  const named = new Set(world.events.flatMap((e) => e.groupIds));
  for (const [id, group] of world.groups) {
    if (group.type === null) continue; // placeholders stay as the events made them
    // Some groups change type: first stored under the other one, then the current one.
    if (chance(rng, 0.3)) await groups.upsert(projectId, { id, type: 'former', properties: {} });
    await groups.upsert(projectId, { id, type: group.type, properties: group.properties });
  }
  for (const id of named) if (!world.groups.has(id)) await groups.delete(projectId, id);
  return projectId;
}

function funnelShape(answer: FunnelAnswer): RefFunnel {
  const steps = (list: FunnelStepAnswer[]) =>
    list.map(({ units, ...totals }) => ({ ...totals, units: units(false), droppedUnits: units(true) }));
  return {
    steps: steps(answer.steps),
    breakdowns: answer.breakdowns.map((b) => ({ value: b.value, steps: steps(b.steps) })),
  };
}

const iso = (d: Date) => d.toISOString();

describe('account-level analyses equal the reference on random worlds', () => {
  const seen = {
    units: new Set<string>(),
    funnelDropOff: 0,
    funnelBreakdowns: new Set<string>(),
    droppedUnits: 0,
    repeatedStep: 0,
    stepFilters: 0,
    retention: new Set<string>(),
    intervals: new Set<string>(),
    timezones: new Set<string>(),
    filters: 0,
    incomplete: 0,
    lifecycleKinds: new Set<string>(),
    stickinessSpread: 0,
    activityReads: 0,
    eventReads: 0,
  };
  const seeds = Number(process.env.ANALYSIS_RANDOM_SEEDS ?? 20);

  for (let seed = 1; seed <= seeds; seed++) {
    it(`seed ${seed}`, async () => {
      const rng = random(1000 + seed);
      const world = randomWorld(rng, { events: 3000 });
      const projectId = await store(world, rng);
      const service = new AccountAnalysisService(db.prisma);

      for (let n = 0; n < 4; n++) {
        const q = randomFunnel(rng);
        const context = JSON.stringify(q);
        const expected = funnel(world, q);
        expect(funnelShape(await service.funnel(projectId, q)), context).toEqual(expected);
        seen.units.add(q.unit ?? 'PROFILE');
        if (expected.steps.some((s) => s.dropOff > 0) && expected.steps.at(-1)!.count > 0) seen.funnelDropOff++;
        if (q.breakdown && expected.breakdowns.length > 1) seen.funnelBreakdowns.add(q.breakdown);
        if (expected.steps.some((s) => s.droppedUnits.length > 0)) seen.droppedUnits++;
        if (new Set(q.steps.map((s) => s.name)).size < q.steps.length && expected.steps[1]!.count > 0)
          seen.repeatedStep++;
        if (q.steps.some((s) => s.properties?.length)) seen.stepFilters++;
      }

      for (let n = 0; n < 4; n++) {
        const q = randomRetention(rng);
        const context = JSON.stringify(q);
        const before = statements.length;
        const answer = await service.retention(projectId, q, { now: world.now });
        const sql = statements.slice(before).join('\n');
        if (sql.includes('ActivityDay')) seen.activityReads++;
        if (/FROM "Event" "e"/.test(sql)) seen.eventReads++;
        const expected = retention(world, q);
        expect(
          { cohorts: answer.cohorts.map((c) => ({ ...c, start: iso(c.start) })), average: answer.average },
          context,
        ).toEqual(expected);
        seen.retention.add(`${q.cohortType}/${q.criteria}`);
        seen.intervals.add(q.interval!);
        seen.timezones.add(q.timezone!);
        if (Object.keys(q.filter ?? {}).length) seen.filters++;
        if (expected.cohorts.some((c) => c.size > 0 && c.complete.includes(false))) seen.incomplete++;
      }

      for (let n = 0; n < 3; n++) {
        const q = randomLifecycle(rng);
        const context = JSON.stringify(q);
        const before = statements.length;
        const answer = await service.lifecycle(projectId, q);
        if (statements.slice(before).join('\n').includes('ActivityDay')) seen.activityReads++;
        const expected = lifecycle(world, q);
        expect({ buckets: answer.buckets.map((b) => ({ ...b, bucket: iso(b.bucket) })) }, context).toEqual(expected);
        for (const row of expected.buckets)
          for (const kind of ['new', 'returning', 'resurrecting', 'dormant'] as const)
            if (row[kind] > 0) seen.lifecycleKinds.add(kind);
        seen.units.add(q.unit ?? 'PROFILE');
      }

      for (let n = 0; n < 3; n++) {
        const q = { ...randomLifecycle(rng, ['DAY', 'DAY', 'WEEK', 'MONTH']) };
        const context = JSON.stringify(q);
        const expected = stickiness(world, q);
        expect(await service.stickiness(projectId, q), context).toEqual(expected);
        if (expected.counts.filter((c) => c > 0).length >= 2) seen.stickinessSpread++;
      }
    });
  }

  it('the questions covered every option and had answers worth comparing', () => {
    expect([...seen.units].sort()).toEqual(['GROUP', 'PROFILE']);
    expect(seen.funnelDropOff).toBeGreaterThan(5);
    expect([...seen.funnelBreakdowns].sort()).toEqual(['EVENT_PROPERTY', 'GROUP_PROPERTY']);
    expect(seen.droppedUnits).toBeGreaterThan(5);
    expect(seen.repeatedStep).toBeGreaterThan(2);
    expect(seen.stepFilters).toBeGreaterThan(5);
    expect(seen.retention.size).toBe(4);
    expect(seen.intervals.size).toBe(3);
    expect(seen.timezones.has('Europe/Berlin') && seen.timezones.has('Asia/Kolkata')).toBe(true);
    expect(seen.filters).toBeGreaterThan(5);
    expect(seen.incomplete).toBeGreaterThan(2);
    expect(seen.lifecycleKinds.size).toBe(4);
    expect(seen.stickinessSpread).toBeGreaterThan(5);
    expect(seen.activityReads).toBeGreaterThan(3);
    expect(seen.eventReads).toBeGreaterThan(3);
  });
});
