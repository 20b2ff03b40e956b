import type { EventRow } from '../../services/ingest.ts';
import { DAY_MS, HOUR_MS, SECOND_MS } from '../../time.ts';
import type { DemoCompany, DemoPlan, DemoPopulation, DemoUser } from './population.ts';
import { pick, seededRandom, type Random } from './random.ts';

/**
 * The demo's events: sessions of a SaaS app during each company's business
 * hours, day by day over the population's window. Pure: rows only, stored by
 * `insert.ts`.
 */

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
function sessionEvent(random: Random, plan: DemoPlan): { name: string; properties: Record<string, unknown> } {
  let r = random();
  // Free accounts look at reports but rarely export them: the report funnel drops off there.
  if (plan === 'free' && r >= 0.82 && r < 0.86 && random() < 0.7) r = 0.6;
  if (r < 0.36) return { name: 'page_view', properties: { path: pick(random, PATHS) } };
  if (r < 0.56) return { name: 'feature_used', properties: { feature: pick(random, FEATURES) } };
  if (r < 0.66) return { name: 'report_viewed', properties: { reportId: `rpt_${Math.floor(random() * 500)}` } };
  if (r < 0.74) return { name: 'dashboard_viewed', properties: { widgets: 2 + Math.floor(random() * 10) } };
  if (r < 0.82) return { name: 'search', properties: { results: Math.floor(random() * 40) } };
  if (r < 0.86)
    return {
      name: 'report_exported',
      properties: { format: pick(random, ['pdf', 'csv', 'xlsx']), rows: Math.floor(random() * 5000) },
    };
  if (r < 0.91) return { name: 'comment_added', properties: {} };
  if (r < 0.95) return { name: 'file_uploaded', properties: { sizeKb: Math.floor(random() * 20_000) } };
  if (r < 0.97) return { name: 'dashboard_created', properties: { widgets: 1 + Math.floor(random() * 6) } };
  if (r < 0.99)
    return {
      name: 'settings_updated',
      properties: { section: pick(random, ['profile', 'notifications', 'security']) },
    };
  return { name: 'invite_sent', properties: { role: pick(random, ['member', 'viewer', 'admin']) } };
}

/** The groups a user is a member of at `t` (company and team), or null when not a member. */
function groupsAt(user: DemoUser, t: number): string[] | null {
  const groups = user.periods
    .filter((p) => p.joinedAt <= t && (p.leftAt === null || t < p.leftAt))
    .map((p) => p.groupId);
  return groups.length > 0 ? groups : null;
}

/** Cumulative weights for weighted sampling by binary search. */
function sampler<T>(items: readonly T[], weight: (item: T) => number): (random: Random) => T {
  const cumulative: number[] = [];
  let sum = 0;
  for (const item of items) cumulative.push((sum += weight(item)));
  return (random) => {
    const x = random() * sum;
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

/** A time span in ms; `to` may be Infinity (gone for good). */
interface Span {
  from: number;
  to: number;
}

/**
 * When accounts and people go quiet, so retention, lifecycle and stickiness have
 * something to show: accounts that sign up during the window and many of whom
 * leave within weeks (weekly cohorts that decay), accounts that pause for a few
 * weeks and come back (dormant, then resurrecting), older accounts that churn,
 * and people who stop using the product some weeks after joining. Drawn from
 * their own seeded sequence, so the population stays what it was.
 */
function quietSpans(population: DemoPopulation): Map<DemoCompany | DemoUser, Span> {
  const random = seededRandom(population.seed * 7907 + 13);
  const windowStart = population.now - population.days * DAY_MS;
  const spans = new Map<DemoCompany | DemoUser, Span>();
  for (const company of population.companies) {
    const roll = random();
    const newcomer = company.createdAt >= windowStart;
    if (newcomer && roll < 0.45) {
      spans.set(company, { from: company.createdAt + (7 + random() * 28) * DAY_MS, to: Infinity });
    } else if (roll < 0.25) {
      const from = windowStart + random() * (population.days - 20) * DAY_MS;
      spans.set(company, { from, to: from + (14 + random() * 14) * DAY_MS });
    } else if (!newcomer && roll < 0.4) {
      spans.set(company, { from: windowStart + (0.4 + random() * 0.6) * population.days * DAY_MS, to: Infinity });
    }
  }
  for (const user of population.users) {
    // Counted from when the person could first show up in the window.
    const start = Math.max(user.periods[0]!.joinedAt, windowStart);
    if (random() < 0.45) spans.set(user, { from: start + (7 + random() * 35) * DAY_MS, to: Infinity });
  }
  return spans;
}

const quietAt = (spans: Map<DemoCompany | DemoUser, Span>, key: DemoCompany | DemoUser, t: number) => {
  const span = spans.get(key);
  return span !== undefined && span.from <= t && t < span.to;
};

/**
 * The `assign_group` events `setGroups` would have recorded for the memberships
 * that start in [from, to): one per (user, start), tagged with the groups it
 * added, ascending by time.
 */
function assignments(population: DemoPopulation, from: number, to: number) {
  const out: { user: DemoUser; at: number; groups: string[] }[] = [];
  for (const user of population.users) {
    const byStart = new Map<number, string[]>();
    for (const p of user.periods) {
      if (p.joinedAt < from || p.joinedAt >= to) continue;
      byStart.set(p.joinedAt, [...(byStart.get(p.joinedAt) ?? []), p.groupId]);
    }
    for (const [at, groups] of byStart) out.push({ user, at: Math.floor(at), groups });
  }
  return out.sort((a, b) => a.at - b.at || a.user.id.localeCompare(b.user.id));
}

export interface DemoEventsOptions {
  count: number;
  /** Distinguishes the event ids and the randomness of several loads into one project. */
  run?: number;
}

/**
 * `count` events as sessions, day by day over the population's window (weekdays
 * busier, activity growing over time), each tagged with the groups its user
 * belonged to at that moment, and (first run only) the `assign_group` events of
 * the memberships that start in the window. Accounts and people go quiet as
 * `quietSpans` says. The same population and options give the same rows.
 */
export function* demoEvents(population: DemoPopulation, options: DemoEventsOptions): Generator<EventRow> {
  const run = options.run ?? 0;
  const random = seededRandom(population.seed * 7919 + run + 1);
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
  const quiet = quietSpans(population);
  // Memberships are set once, by the first load of a project.
  const assigned = run === 0 ? assignments(population, windowStart, now) : [];
  let nextAssignment = 0;

  let made = 0;
  for (let d = 0; d < days && made < options.count; d++) {
    const target =
      d === days - 1
        ? options.count
        : Math.min(
            options.count,
            Math.round((options.count * dayWeights.slice(0, d + 1).reduce((a, b) => a + b, 0)) / weightSum),
          );
    const dayStart = windowStart + d * DAY_MS;
    for (; nextAssignment < assigned.length && assigned[nextAssignment]!.at < dayStart + DAY_MS; nextAssignment++) {
      if (made >= options.count) break;
      const { user, at, groups } = assigned[nextAssignment]!;
      yield {
        name: 'assign_group',
        profileId: user.id,
        deviceId: null,
        sessionId: null,
        groups,
        properties: { added: [...groups].sort() },
        createdAt: new Date(Math.min(now - 1, at)).toISOString(),
        id: `demo_${population.seed}_${run}_${++made}`,
        inherit: false,
      };
    }
    let misses = 0;
    while (made < target && misses < 50_000) {
      const anonymous = random() < 0.04;
      const user = pickUser(random);
      // Business hours in the account's offset, peaking early afternoon.
      const localHour = 8 + 10 * ((random() + random() + random()) / 3);
      let t = Math.floor(dayStart + (localHour - user.company.utcOffset) * HOUR_MS + random() * HOUR_MS);
      if (t >= now) t = now - Math.floor(random() * HOUR_MS);
      if (t < windowStart) t = windowStart + Math.floor(random() * HOUR_MS);
      const groups = anonymous ? [] : groupsAt(user, t);
      if (groups === null || (!anonymous && (quietAt(quiet, user.company, t) || quietAt(quiet, user, t)))) {
        misses++; // not a member then, or not using the product: someone else's session
        continue;
      }
      const length = Math.min(60, 1 + Math.floor(-Math.log(Math.max(random(), 1e-9)) * 11));
      const sessionId = `ses_${run}_${made}`;
      for (let i = 0; i < length && made < target; i++) {
        const event = anonymous
          ? { name: 'page_view', properties: { path: pick(random, MARKETING_PATHS) } }
          : i === 0
            ? { name: 'login', properties: { method: pick(random, ['password', 'sso', 'google']) } }
            : sessionEvent(random, user.company.plan);
        yield {
          ...event,
          profileId: anonymous ? null : user.id,
          deviceId: anonymous ? `anon_${Math.floor(random() * 1e9)}` : user.deviceId,
          sessionId,
          groups,
          createdAt: new Date(Math.min(now - 1, t)).toISOString(),
          id: `demo_${population.seed}_${run}_${++made}`,
          inherit: false,
        };
        t += 5 * SECOND_MS + Math.floor(random() * 170 * SECOND_MS);
      }
    }
  }
}
