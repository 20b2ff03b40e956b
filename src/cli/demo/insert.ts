import type { PrismaClient } from '../../generated/prisma/client.ts';
import { bulkImport } from '../../services/bulkImport.ts';
import { GroupService } from '../../services/groups.ts';
import { insertEvents, withDeadlockRetry, type EventRow } from '../../services/ingest.ts';
import { CommandError } from '../errors.ts';
import { demoEvents, type DemoEventsOptions } from './events.ts';
import { createDemoPopulation, demoCompanyCount, type DemoPopulation } from './population.ts';

/**
 * Stores the demo: the population through `bulkImport` (it keeps the generated
 * history), the events through `insertEvents`, the same set-based statement
 * `track` uses (EventGroup and the rollups are maintained there).
 */

/** Groups, profiles and memberships. Refuses a project that already has this demo. */
export async function insertDemoPopulation(
  prisma: PrismaClient,
  projectId: string,
  population: DemoPopulation,
): Promise<void> {
  const first = population.companies[0];
  if (first && (await new GroupService(prisma).find(projectId, first.id))) {
    throw new CommandError(`project "${projectId}" already has demo data (${first.id}); use another project`);
  }
  await bulkImport(prisma, projectId, {
    groups: population.companies.flatMap((c) => [
      {
        id: c.id,
        type: 'company',
        name: c.name,
        properties: { plan: c.plan, seats: c.seats, industry: c.industry, country: c.country },
        createdAt: new Date(c.createdAt),
      },
      ...c.teams.map((t) => ({
        id: t.id,
        type: 'team',
        name: t.name,
        properties: { companyId: c.id },
        createdAt: new Date(c.createdAt),
      })),
    ]),
    profiles: population.users.map((u) => ({
      id: u.id,
      firstName: u.firstName,
      lastName: u.lastName,
      email: u.email,
      properties: { role: u.role },
      createdAt: new Date(u.periods[0]!.joinedAt),
    })),
    memberships: population.users.flatMap((u) =>
      u.periods.map((p) => ({
        profileId: u.id,
        groupId: p.groupId,
        joinedAt: new Date(p.joinedAt),
        leftAt: p.leftAt === null ? null : new Date(p.leftAt),
      })),
    ),
  });
}

export interface InsertDemoEventsOptions extends DemoEventsOptions {
  /** Events per insertEvents statement (default 2,000). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Generates the events of `demoEvents` and stores them in batches. Returns the number stored. */
export async function insertDemoEvents(
  prisma: PrismaClient,
  projectId: string,
  population: DemoPopulation,
  options: InsertDemoEventsOptions,
): Promise<number> {
  const batchSize = options.batchSize ?? 2_000;
  let made = 0;
  let stored = 0;
  let batch: EventRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    stored += (await withDeadlockRetry(() => insertEvents(prisma, projectId, rows))).size;
    options.onProgress?.(made, options.count);
  };
  for (const row of demoEvents(population, options)) {
    batch.push(row);
    made++;
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return stored;
}

export interface DemoSummary {
  companies: number;
  teams: number;
  users: number;
  memberships: number;
  events: number;
}

export interface SeedDemoOptions {
  events: number;
  days?: number;
  seed?: number;
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

/** A complete demo in one project: population first, then the events. */
export async function seedDemo(
  prisma: PrismaClient,
  projectId: string,
  options: SeedDemoOptions,
): Promise<DemoSummary> {
  const population = createDemoPopulation({
    companies: demoCompanyCount(options.events),
    seed: options.seed,
    now: options.now,
    days: options.days,
  });
  await insertDemoPopulation(prisma, projectId, population);
  const events = await insertDemoEvents(prisma, projectId, population, {
    count: options.events,
    onProgress: options.onProgress,
  });
  return {
    companies: population.companies.length,
    teams: population.companies.reduce((n, c) => n + c.teams.length, 0),
    users: population.users.length,
    memberships: population.users.reduce((n, u) => n + u.periods.length, 0),
    events,
  };
}
