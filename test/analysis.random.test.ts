import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { FunnelAnswer, FunnelStepAnswer } from '../src/services/analysis/accounts/funnel.ts';
import { AccountAnalysisService } from '../src/services/analysis/accounts/service.ts';
import { CohortService } from '../src/services/cohorts/service.ts';
import { GroupService } from '../src/services/groups.ts';
import { insertEvents, type EventRow } from '../src/services/ingest.ts';
import { KeyService } from '../src/services/keys.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { uniqueId } from './helpers/app.ts';
import { funnel, lifecycle, retention, stickiness, type RefFunnel, type World } from './reference/analysis.ts';
import { cohortMembers } from './reference/cohorts.ts';
import {
  chance,
  random,
  randomCohortFor,
  randomFunnel,
  randomLifecycle,
  randomProfileProperties,
  randomRetention,
  randomWorld,
  type Rng,
} from './reference/randomWorld.ts';

// Every answer of the account-level analyses must equal the plain reference
// (test/reference/analysis.ts) on random worlds: equal timestamps, multi-group
// and group-less events, events without a profile, placeholder and deleted
// groups, DST and half-hour zones, incomplete periods. Questions cover both
// units and every option; the bucketed ones read the daily activity rows or
// the events depending on the question, and both paths are exercised. Some
// questions keep only the units of a random cohort (`cohortId`), compared with
// the reference's members of that cohort.

let db: TestDatabase;
const statements: string[] = [];
// Opening and migrating an embedded database can take minutes on a busy machine.
beforeAll(async () => {
  db = await createTestDatabase({ onStatement: (sql) => statements.push(sql) });
}, 600_000);
afterAll(async () => db?.dispose());

/**
 * Stores a reference world in a new project: events as given, groups typed,
 * deleted ones deleted, and the profiles' `properties` (for cohorts of profiles).
 */
async function store(world: World, rng: Rng, profiles: Map<string, Record<string, unknown>>): Promise<string> {
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
  for (const [id, properties] of profiles) {
    await db.prisma.profile.update({
      where: { projectId_id: { projectId, id } },
      data: { properties: properties as object },
    });
  }
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
    cohortUnits: new Set<string>(),
    /** Questions whose cohort kept some but not all units of its kind. */
    cohortSubsets: 0,
    cohortActivityReads: 0,
    cohortEventReads: 0,
  };
  const seeds = Number(process.env.ANALYSIS_RANDOM_SEEDS ?? 20);

  for (let seed = 1; seed <= seeds; seed++) {
    // A few thousand events and fourteen questions a seed: minutes on a busy machine.
    it(`seed ${seed}`, { timeout: 600_000 }, async () => {
      const rng = random(1000 + seed);
      const world = randomWorld(rng, { events: 3000 });
      // Cohorts draw from their own generator, so the worlds and questions stay those of the seed.
      const crng = random(9000 + seed);
      const profiles = new Map(
        [...new Set(world.events.flatMap((e) => (e.profileId === null ? [] : [e.profileId])))]
          .sort()
          .map((id) => [id, randomProfileProperties(crng)] as const),
      );
      const projectId = await store(world, rng, profiles);
      const service = new AccountAnalysisService(db.prisma);
      const cohortService = new CohortService(db.prisma);
      world.cohorts = new Map();
      const cohortData = {
        groups: [...world.groups].map(([id, g]) => ({ id, ...g })),
        profiles: [...profiles].map(([id, properties]) => ({ id, type: null, properties })),
        events: world.events.map((e) => ({ ...e, createdAt: e.createdAt.getTime() })),
        members: new Map<string, number>(),
        now: world.now.getTime(),
      };
      const now = { now: world.now };
      /** Sometimes the question keeps only the units of a new random cohort of its kind. */
      async function withCohort<Q extends { unit?: 'PROFILE' | 'GROUP'; groupType?: string | null }>(q: Q) {
        if (!chance(crng, 0.35)) return q;
        const input = randomCohortFor(crng, q.unit ?? 'PROFILE', q.groupType ?? null);
        const cohort = await cohortService.create(projectId, input);
        const members = cohortMembers(cohortData, input);
        world.cohorts!.set(cohort.id, new Set(members));
        const universe =
          input.unit === 'GROUP'
            ? cohortData.groups.filter((g) => g.type === input.groupType).length
            : cohortData.profiles.length;
        seen.cohortUnits.add(input.unit);
        if (members.length > 0 && members.length < universe) seen.cohortSubsets++;
        return { ...q, cohortId: cohort.id };
      }
      /** Runs `ask`, noting which storage the statements it sent read. */
      async function reading<T>(q: { cohortId?: string | null }, ask: () => Promise<T>): Promise<T> {
        const before = statements.length;
        const answer = await ask();
        const sql = statements.slice(before).join('\n');
        if (sql.includes('ActivityDay')) {
          seen.activityReads++;
          if (q.cohortId) seen.cohortActivityReads++;
        }
        if (/FROM "Event" "e"/.test(sql)) {
          seen.eventReads++;
          if (q.cohortId) seen.cohortEventReads++;
        }
        return answer;
      }

      for (let n = 0; n < 4; n++) {
        const q = await withCohort(randomFunnel(rng));
        const context = JSON.stringify(q);
        const expected = funnel(world, q);
        expect(funnelShape(await service.funnel(projectId, q, now)), context).toEqual(expected);
        seen.units.add(q.unit ?? 'PROFILE');
        if (expected.steps.some((s) => s.dropOff > 0) && expected.steps.at(-1)!.count > 0) seen.funnelDropOff++;
        if (q.breakdown && expected.breakdowns.length > 1) seen.funnelBreakdowns.add(q.breakdown);
        if (expected.steps.some((s) => s.droppedUnits.length > 0)) seen.droppedUnits++;
        if (new Set(q.steps.map((s) => s.name)).size < q.steps.length && expected.steps[1]!.count > 0)
          seen.repeatedStep++;
        if (q.steps.some((s) => s.properties?.length)) seen.stepFilters++;
      }

      for (let n = 0; n < 4; n++) {
        const q = await withCohort(randomRetention(rng));
        const context = JSON.stringify(q);
        const answer = await reading(q, () => service.retention(projectId, q, now));
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
        const q = await withCohort(randomLifecycle(rng));
        const context = JSON.stringify(q);
        const answer = await reading(q, () => service.lifecycle(projectId, q, now));
        const expected = lifecycle(world, q);
        expect({ buckets: answer.buckets.map((b) => ({ ...b, bucket: iso(b.bucket) })) }, context).toEqual(expected);
        for (const row of expected.buckets)
          for (const kind of ['new', 'returning', 'resurrecting', 'dormant'] as const)
            if (row[kind] > 0) seen.lifecycleKinds.add(kind);
        seen.units.add(q.unit ?? 'PROFILE');
      }

      for (let n = 0; n < 3; n++) {
        const q = await withCohort(randomLifecycle(rng, ['DAY', 'DAY', 'WEEK', 'MONTH']));
        const context = JSON.stringify(q);
        const expected = stickiness(world, q);
        expect(await reading(q, () => service.stickiness(projectId, q, now)), context).toEqual(expected);
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
    expect([...seen.cohortUnits].sort()).toEqual(['GROUP', 'PROFILE']);
    expect(seen.cohortSubsets).toBeGreaterThan(10);
    expect(seen.cohortActivityReads).toBeGreaterThan(0);
    expect(seen.cohortEventReads).toBeGreaterThan(5);
  });
});
