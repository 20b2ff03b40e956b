import { DAY_MS, HOUR_MS } from '../../time.ts';
import { pick, seededRandom, type Random } from './random.ts';

/**
 * The people of the demo: companies with plans and seats, their teams, and users
 * who join, switch teams and leave over the last `days` days. Everything is
 * derived from a seed, so a run can be repeated. `events.ts` makes their
 * sessions, `insert.ts` stores both.
 */

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

const between = (random: Random, min: number, max: number) => min + random() * (max - min);
const logUniform = (random: Random, min: number, max: number) =>
  Math.round(Math.exp(between(random, Math.log(min), Math.log(max))));
/** exp(N(0, sigma)): a few heavy users and accounts, many light ones. */
function logNormal(random: Random, sigma: number): number {
  const u = Math.max(random(), 1e-12);
  return Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random()));
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

function createCompany(random: Random, index: number, now: number, days: number): DemoCompany {
  const name = companyName(index);
  const roll = random();
  const plan: DemoPlan = roll < 0.45 ? 'free' : roll < 0.85 ? 'pro' : 'enterprise';
  const seats =
    plan === 'free'
      ? logUniform(random, 1, 5)
      : plan === 'pro'
        ? logUniform(random, 5, 60)
        : logUniform(random, 50, 400);
  const teamCount = plan === 'free' ? 1 : plan === 'pro' ? 2 + Math.floor(random() * 3) : 3 + Math.floor(random() * 6);
  const [country, utcOffset] = pick(random, COUNTRIES);
  const id = `org_${slug(name)}`;
  const teams = TEAM_NAMES.slice(0, teamCount).map((team) => ({
    id: `team_${slug(name)}_${slug(team)}`,
    name: `${name} — ${team}`,
  }));
  // A quarter of the accounts sign up during the window: visible growth.
  const createdAt = random() < 0.25 ? now - random() * days * DAY_MS : now - days * DAY_MS - random() * 365 * DAY_MS;
  return { id, name, plan, seats, industry: pick(random, INDUSTRIES), country, utcOffset, createdAt, teams, users: [] };
}

function createUser(random: Random, company: DemoCompany, serial: number, now: number): DemoUser {
  const firstName = pick(random, FIRST_NAMES);
  const lastName = pick(random, LAST_NAMES);
  // Most people join soon after their company signs up; some much later.
  const joinedAt = Math.min(now - HOUR_MS, company.createdAt + logNormal(random, 1.2) * 10 * DAY_MS * random());
  const leftAt = random() < 0.1 ? joinedAt + random() * (now - joinedAt) : null;
  const team = pick(random, company.teams);
  const periods: Period[] = [{ groupId: company.id, joinedAt, leftAt }];
  if (company.teams.length > 1 && random() < 0.08) {
    const switchAt = joinedAt + random() * ((leftAt ?? now) - joinedAt);
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
    role: pick(random, ROLES),
    company,
    weight: logNormal(random, 0.9),
    deviceId: `dev_${serial}`,
    periods,
  };
}

/** Companies, teams and users with their membership history; deterministic for a seed. */
export function createDemoPopulation(options: DemoPopulationOptions): DemoPopulation {
  const seed = options.seed ?? 1;
  const now = (options.now ?? new Date()).getTime();
  const days = options.days ?? 90;
  const random = seededRandom(seed);
  const companies: DemoCompany[] = [];
  const users: DemoUser[] = [];
  for (let i = 0; i < options.companies; i++) {
    const company = createCompany(random, i, now, days);
    const people = Math.max(1, Math.round(company.seats * between(random, 0.4, 0.9)));
    for (let u = 0; u < people; u++) {
      const user = createUser(random, company, users.length + 1, now);
      company.users.push(user);
      users.push(user);
    }
    companies.push(company);
  }
  return { seed, now, days, companies, users };
}
