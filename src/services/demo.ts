import type { PrismaClient } from '../generated/prisma/client.ts';
import { ValidationError } from './errors.ts';
import { insertEvents, withDeadlockRetry, type EventRow } from './ingest.ts';

/**
 * Realistic demo data for GraphiQL and the aggregation benchmark: companies with
 * plans and seats, their teams, users joining, switching teams and leaving, and
 * sessions of events over the last `days` days during each company's business
 * hours. Everything is derived from a seed, so a run can be repeated.
 *
 * Events go through `insertEvents`, the same set-based statement `track` uses
 * (EventGroup and the rollups are maintained there), never the ORM row by row.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

export type DemoPlan = 'free' | 'pro' | 'enterprise';

interface Period {
  groupId: string;
  joinedAt: number;
  leftAt: number | null;
}

export interface DemoUser {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  role: string;
  company: DemoCompany;
  /** Relative activity. */
  weight: number;
  deviceId: string;
  /** Company and team memberships, in order; a team switch ends one period and opens the next. */
  periods: Period[];
}

export interface DemoCompany {
  id: string;
  name: string;
  plan: DemoPlan;
  seats: number;
  industry: string;
  country: string;
  /** Business hours follow this offset (hours from UTC). */
  utcOffset: number;
  createdAt: number;
  teams: { id: string; name: string }[];
  users: DemoUser[];
}

export interface DemoPopulation {
  seed: number;
  now: number;
  days: number;
  companies: DemoCompany[];
  users: DemoUser[];
}

export interface DemoPopulationOptions {
  companies: number;
  seed?: number;
  now?: Date;
  days?: number;
}

/** mulberry32: small, fast and good enough for demo data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const between = (rng: Rng, min: number, max: number) => min + rng() * (max - min);
const logUniform = (rng: Rng, min: number, max: number) =>
  Math.round(Math.exp(between(rng, Math.log(min), Math.log(max))));
/** exp(N(0, sigma)): a few heavy users and accounts, many light ones. */
function logNormal(rng: Rng, sigma: number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng()));
}

const NAME_STEMS = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Vandelay',
  'Stark',
  'Wayne',
  'Wonka',
  'Cyberdyne',
  'Soylent',
  'Tyrell',
  'Aperture',
  'Massive',
  'Piedpiper',
  'Dunder',
  'Oscorp',
  'Monarch',
  'Prestige',
  'Nakatomi',
  'Gekko',
  'Sterling',
  'Virtucon',
  'Ollivander',
  'Bluth',
  'Krusty',
  'Duff',
  'Zorg',
  'Tessier',
  'Weyland',
];
const NAME_SUFFIXES = [
  'Inc',
  'Labs',
  'Systems',
  'GmbH',
  'Ltd',
  'Group',
  'AI',
  'Cloud',
  'Analytics',
  'Works',
  'Health',
  'Bank',
];
const INDUSTRIES = ['software', 'finance', 'healthcare', 'retail', 'manufacturing', 'media', 'education', 'logistics'];
const COUNTRIES: readonly [string, number][] = [
  ['US', -5],
  ['US', -8],
  ['CA', -5],
  ['BR', -3],
  ['GB', 0],
  ['DE', 1],
  ['FR', 1],
  ['SE', 1],
  ['IN', 5],
  ['JP', 9],
  ['AU', 10],
];
const TEAM_NAMES = ['Engineering', 'Sales', 'Marketing', 'Support', 'Finance', 'Product', 'Design', 'Operations'];
const FIRST_NAMES = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Emma',
  'Femi',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kim',
  'Liam',
  'Mia',
  'Noah',
  'Olga',
  'Priya',
  'Quinn',
  'Rosa',
  'Sam',
  'Tariq',
  'Uma',
  'Vera',
  'Wei',
  'Yara',
  'Zoe',
];
const LAST_NAMES = [
  'Garcia',
  'Müller',
  'Smith',
  'Tanaka',
  'Okafor',
  'Silva',
  'Nguyen',
  'Kowalski',
  'Rossi',
  'Andersen',
  'Patel',
  'Cohen',
  'Dubois',
  'Kim',
  'Larsen',
];
const ROLES = ['admin', 'member', 'member', 'member', 'viewer'];

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

/** How many companies a demo of `events` events gets: enough to explore, a B2B-sized customer base at 2 M. */
export function demoCompanyCount(events: number): number {
  return Math.min(300, Math.max(12, Math.round(Math.sqrt(events) / 4)));
}

function companyName(index: number): string {
  const stem = NAME_STEMS[index % NAME_STEMS.length]!;
  const suffix = NAME_SUFFIXES[Math.floor(index / NAME_STEMS.length) % NAME_SUFFIXES.length]!;
  const round = Math.floor(index / (NAME_STEMS.length * NAME_SUFFIXES.length));
  return round === 0 ? `${stem} ${suffix}` : `${stem} ${suffix} ${round + 1}`;
}

function createCompany(rng: Rng, index: number, now: number, days: number): DemoCompany {
  const name = companyName(index);
  const roll = rng();
  const plan: DemoPlan = roll < 0.45 ? 'free' : roll < 0.85 ? 'pro' : 'enterprise';
  const seats =
    plan === 'free' ? logUniform(rng, 1, 5) : plan === 'pro' ? logUniform(rng, 5, 60) : logUniform(rng, 50, 400);
  const teamCount = plan === 'free' ? 1 : plan === 'pro' ? 2 + Math.floor(rng() * 3) : 3 + Math.floor(rng() * 6);
  const [country, utcOffset] = pick(rng, COUNTRIES);
  const id = `org_${slug(name)}`;
  const teams = TEAM_NAMES.slice(0, teamCount).map((team) => ({
    id: `team_${slug(name)}_${slug(team)}`,
    name: `${name} — ${team}`,
  }));
  // A quarter of the accounts sign up during the window: visible growth.
  const createdAt = rng() < 0.25 ? now - rng() * days * DAY_MS : now - days * DAY_MS - rng() * 365 * DAY_MS;
  return { id, name, plan, seats, industry: pick(rng, INDUSTRIES), country, utcOffset, createdAt, teams, users: [] };
}

function createUser(rng: Rng, company: DemoCompany, serial: number, now: number): DemoUser {
  const firstName = pick(rng, FIRST_NAMES);
  const lastName = pick(rng, LAST_NAMES);
  // Most people join soon after their company signs up; some much later.
  const joinedAt = Math.min(now - HOUR_MS, company.createdAt + logNormal(rng, 1.2) * 10 * DAY_MS * rng());
  const leftAt = rng() < 0.1 ? joinedAt + rng() * (now - joinedAt) : null;
  const team = pick(rng, company.teams);
  const periods: Period[] = [{ groupId: company.id, joinedAt, leftAt }];
  if (company.teams.length > 1 && rng() < 0.08) {
    const switchAt = joinedAt + rng() * ((leftAt ?? now) - joinedAt);
    const other = company.teams.find((t) => t.id !== team.id)!;
    periods.push({ groupId: team.id, joinedAt, leftAt: switchAt }, { groupId: other.id, joinedAt: switchAt, leftAt });
  } else {
    periods.push({ groupId: team.id, joinedAt, leftAt });
  }
  return {
    id: `user_${serial}`,
    firstName,
    lastName,
    email: `${slug(firstName)}.${slug(lastName)}${serial}@${slug(company.name).replace(/_/g, '')}.example`,
    role: pick(rng, ROLES),
    company,
    weight: logNormal(rng, 0.9),
    deviceId: `dev_${serial}`,
    periods,
  };
}

/** Companies, teams and users with their membership history; deterministic for a seed. */
export function createDemoPopulation(options: DemoPopulationOptions): DemoPopulation {
  const seed = options.seed ?? 1;
  const now = (options.now ?? new Date()).getTime();
  const days = options.days ?? 90;
  const rng = random(seed);
  const companies: DemoCompany[] = [];
  const users: DemoUser[] = [];
  for (let i = 0; i < options.companies; i++) {
    const company = createCompany(rng, i, now, days);
    const people = Math.max(1, Math.round(company.seats * between(rng, 0.4, 0.9)));
    for (let u = 0; u < people; u++) {
      const user = createUser(rng, company, users.length + 1, now);
      company.users.push(user);
      users.push(user);
    }
    companies.push(company);
  }
  return { seed, now, days, companies, users };
}

const BATCH = 2_000;

async function insertJsonRows(rows: unknown[], insert: (json: string) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await insert(JSON.stringify(rows.slice(i, i + BATCH)));
}

/** Groups, profiles and memberships, set-based. Refuses a project that already has this demo. */
export async function insertDemoPopulation(
  prisma: PrismaClient,
  projectId: string,
  population: DemoPopulation,
): Promise<void> {
  const first = population.companies[0];
  if (first) {
    const existing = await prisma.group.findUnique({ where: { projectId_id: { projectId, id: first.id } } });
    if (existing)
      throw new ValidationError(
        'project',
        `project "${projectId}" already has demo data (${first.id}); use another project`,
      );
  }
  await prisma.$executeRaw`INSERT INTO "Project" ("id") VALUES (${projectId}) ON CONFLICT DO NOTHING`;
  const iso = (ms: number) => new Date(ms).toISOString();
  const groups = population.companies.flatMap((c) => [
    {
      id: c.id,
      type: 'company',
      name: c.name,
      properties: { plan: c.plan, seats: c.seats, industry: c.industry, country: c.country },
      createdAt: iso(c.createdAt),
    },
    ...c.teams.map((t) => ({
      id: t.id,
      type: 'team',
      name: t.name,
      properties: { companyId: c.id },
      createdAt: iso(c.createdAt),
    })),
  ]);
  await insertJsonRows(
    groups,
    (json) => prisma.$executeRaw`
    INSERT INTO "Group" ("projectId", "id", "type", "name", "properties", "createdAt", "updatedAt")
    SELECT ${projectId}, "id", "type", "name", "properties", "createdAt", "createdAt"
    FROM jsonb_to_recordset(${json}::jsonb) AS x("id" text, "type" text, "name" text, "properties" jsonb, "createdAt" timestamptz)
    ON CONFLICT ("projectId", "id") DO UPDATE SET "type" = EXCLUDED."type", "name" = EXCLUDED."name", "properties" = EXCLUDED."properties"`,
  );
  const profiles = population.users.map((u) => ({
    id: u.id,
    firstName: u.firstName,
    lastName: u.lastName,
    email: u.email,
    properties: { role: u.role },
    createdAt: iso(u.periods[0]!.joinedAt),
  }));
  await insertJsonRows(
    profiles,
    (json) => prisma.$executeRaw`
    INSERT INTO "Profile" ("projectId", "id", "firstName", "lastName", "email", "properties", "createdAt", "updatedAt")
    SELECT ${projectId}, "id", "firstName", "lastName", "email", "properties", "createdAt", "createdAt"
    FROM jsonb_to_recordset(${json}::jsonb) AS x("id" text, "firstName" text, "lastName" text, "email" text, "properties" jsonb, "createdAt" timestamptz)
    ON CONFLICT ("projectId", "id") DO NOTHING`,
  );
  const memberships = population.users.flatMap((u) =>
    u.periods.map((p) => ({
      profileId: u.id,
      groupId: p.groupId,
      joinedAt: iso(p.joinedAt),
      leftAt: p.leftAt === null ? null : iso(p.leftAt),
    })),
  );
  await insertJsonRows(
    memberships,
    (json) => prisma.$executeRaw`
    INSERT INTO "GroupMembership" ("projectId", "profileId", "groupId", "joinedAt", "leftAt")
    SELECT ${projectId}, "profileId", "groupId", "joinedAt", "leftAt"
    FROM jsonb_to_recordset(${json}::jsonb) AS x("profileId" text, "groupId" text, "joinedAt" timestamptz, "leftAt" timestamptz)`,
  );
}

const PATHS = [
  '/dashboard',
  '/reports',
  '/reports/weekly',
  '/settings',
  '/team',
  '/billing',
  '/integrations',
  '/search',
];
const FEATURES = ['filters', 'export', 'alerts', 'sharing', 'api', 'sso', 'ai_assistant'];
const MARKETING_PATHS = ['/', '/pricing', '/blog/group-analytics', '/docs', '/signup'];

/** One event of a session: a name and its properties, roughly as a SaaS app emits them. */
function sessionEvent(rng: Rng): { name: string; properties: Record<string, unknown> } {
  const r = rng();
  if (r < 0.36) return { name: 'page_view', properties: { path: pick(rng, PATHS) } };
  if (r < 0.56) return { name: 'feature_used', properties: { feature: pick(rng, FEATURES) } };
  if (r < 0.66) return { name: 'report_viewed', properties: { reportId: `rpt_${Math.floor(rng() * 500)}` } };
  if (r < 0.74) return { name: 'dashboard_viewed', properties: { widgets: 2 + Math.floor(rng() * 10) } };
  if (r < 0.82) return { name: 'search', properties: { results: Math.floor(rng() * 40) } };
  if (r < 0.86)
    return {
      name: 'report_exported',
      properties: { format: pick(rng, ['pdf', 'csv', 'xlsx']), rows: Math.floor(rng() * 5000) },
    };
  if (r < 0.91) return { name: 'comment_added', properties: {} };
  if (r < 0.95) return { name: 'file_uploaded', properties: { sizeKb: Math.floor(rng() * 20_000) } };
  if (r < 0.97) return { name: 'dashboard_created', properties: { widgets: 1 + Math.floor(rng() * 6) } };
  if (r < 0.99)
    return { name: 'settings_updated', properties: { section: pick(rng, ['profile', 'notifications', 'security']) } };
  return { name: 'invite_sent', properties: { role: pick(rng, ['member', 'viewer', 'admin']) } };
}

/** The groups a user is a member of at `t` (company and team), or null when not a member. */
function groupsAt(user: DemoUser, t: number): string[] | null {
  const groups = user.periods
    .filter((p) => p.joinedAt <= t && (p.leftAt === null || t < p.leftAt))
    .map((p) => p.groupId);
  return groups.length > 0 ? groups : null;
}

/** Cumulative weights for weighted sampling by binary search. */
function sampler<T>(items: readonly T[], weight: (item: T) => number): (rng: Rng) => T {
  const cumulative: number[] = [];
  let sum = 0;
  for (const item of items) cumulative.push((sum += weight(item)));
  return (rng) => {
    const x = rng() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}

const PLAN_ACTIVITY: Record<DemoPlan, number> = { free: 0.6, pro: 1, enterprise: 1.3 };

export interface DemoEventsOptions {
  count: number;
  /** Distinguishes the event ids and the randomness of several loads into one project. */
  run?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Generates `count` events as sessions, day by day over the population's window
 * (weekdays busier, activity growing over time), and stores them in batches
 * through `insertEvents`. Returns the number stored.
 */
export async function insertDemoEvents(
  prisma: PrismaClient,
  projectId: string,
  population: DemoPopulation,
  options: DemoEventsOptions,
): Promise<number> {
  const run = options.run ?? 0;
  const rng = random(population.seed * 7919 + run + 1);
  const batchSize = options.batchSize ?? BATCH;
  const { now, days } = population;
  const windowStart = now - days * DAY_MS;
  const pickUser = sampler(
    population.users,
    (u) => u.weight * PLAN_ACTIVITY[u.company.plan] * (0.5 + Math.log10(1 + u.company.seats)),
  );
  const dayWeights = Array.from({ length: days }, (_, d) => {
    const weekday = new Date(windowStart + d * DAY_MS).getUTCDay();
    return (weekday === 0 || weekday === 6 ? 0.35 : 1) * (1 + (0.6 * d) / days);
  });
  const weightSum = dayWeights.reduce((a, b) => a + b, 0);

  let made = 0;
  let stored = 0;
  let serial = 0;
  let batch: EventRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    stored += (await withDeadlockRetry(() => insertEvents(prisma, projectId, rows))).size;
    options.onProgress?.(made, options.count);
  };
  const push = async (row: Omit<EventRow, 'id' | 'inherit' | 'deviceId'> & { deviceId: string }) => {
    batch.push({ ...row, id: `demo_${population.seed}_${run}_${++serial}`, inherit: false });
    made++;
    if (batch.length >= batchSize) await flush();
  };

  for (let d = 0; d < days && made < options.count; d++) {
    const target =
      d === days - 1
        ? options.count
        : Math.min(
            options.count,
            Math.round((options.count * dayWeights.slice(0, d + 1).reduce((a, b) => a + b, 0)) / weightSum),
          );
    const dayStart = windowStart + d * DAY_MS;
    let misses = 0;
    while (made < target && misses < 10_000) {
      const anonymous = rng() < 0.04;
      const user = pickUser(rng);
      // Business hours in the account's offset, peaking early afternoon.
      const localHour = 8 + 10 * ((rng() + rng() + rng()) / 3);
      let t = Math.floor(dayStart + (localHour - user.company.utcOffset) * HOUR_MS + rng() * HOUR_MS);
      if (t >= now) t = now - Math.floor(rng() * HOUR_MS);
      if (t < windowStart) t = windowStart + Math.floor(rng() * HOUR_MS);
      const groups = anonymous ? [] : groupsAt(user, t);
      if (groups === null) {
        misses++; // not a member then: someone else's session
        continue;
      }
      const length = Math.min(60, 1 + Math.floor(-Math.log(Math.max(rng(), 1e-9)) * 11));
      const sessionId = `ses_${run}_${serial}`;
      for (let i = 0; i < length && made < target; i++) {
        const event = anonymous
          ? { name: 'page_view', properties: { path: pick(rng, MARKETING_PATHS) } }
          : i === 0
            ? { name: 'login', properties: { method: pick(rng, ['password', 'sso', 'google']) } }
            : sessionEvent(rng);
        await push({
          ...event,
          profileId: anonymous ? null : user.id,
          deviceId: anonymous ? `anon_${Math.floor(rng() * 1e9)}` : user.deviceId,
          sessionId,
          groups,
          createdAt: new Date(Math.min(now - 1, t)).toISOString(),
        });
        t += 5_000 + Math.floor(rng() * 170_000);
      }
    }
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
