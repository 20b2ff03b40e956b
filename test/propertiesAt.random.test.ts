import { describe, expect, it } from 'vitest';

import { pick, seededRandom, type Random } from '../src/cli/demo/random.ts';
import type { PropertyFilter } from '../src/services/analysis/filter.ts';
import type { AggregationInput, AggregationMetric } from '../src/services/analysis/question.ts';
import { createServices } from '../src/services/index.ts';
import type { EventInput } from '../src/services/ingest.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/time.ts';
import { useTestApp } from './helpers/app.ts';

// propertiesAt: EVENT_TIME must give what a plain computation over the events
// and the recorded property history gives: GROUP_PROPERTY breakdowns and
// groupProperties filters take each group's value at the event's time. The
// data mixes changes through the API (now), older recorded changes inside
// hours and on hour boundaries, groups written before history existed (values
// known since createdAt) and placeholders, so rollup hours, cut hours and raw
// events all take part.

const t = useTestApp();

interface RefGroup {
  id: string;
  type: string | null;
  createdAt: number;
  properties: Record<string, unknown>;
  /** Sorted by (changedAt, id). */
  changes: { key: string; value: unknown; previousValue: unknown; at: number }[];
}

interface RefEvent {
  createdAt: number;
  profileId: string | null;
  groupIds: string[];
}

/** The rule of propertiesAt EVENT_TIME, written out plainly. */
function valueAt(g: RefGroup, key: string, at: number): unknown {
  const changes = g.changes.filter((c) => c.key === key);
  const latest = changes.filter((c) => c.at <= at).at(-1);
  if (latest) return latest.value;
  if (at < g.createdAt) return null;
  if (changes.length) return changes[0]!.previousValue;
  return g.properties[key] ?? null;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function matches(v: unknown, f: PropertyFilter): boolean {
  const has = v !== null && v !== undefined;
  switch (f.op) {
    case 'EQ':
      return has && jsonEqual(v, f.value);
    case 'NEQ':
      return !has || !jsonEqual(v, f.value);
    case 'GT':
      return typeof v === 'number' && v > (f.value as number);
    case 'LTE':
      return typeof v === 'number' && v <= (f.value as number);
    case 'IN':
      return has && (f.value as unknown[]).some((x) => jsonEqual(x, v));
    case 'EXISTS':
      return f.value === false ? !has : has;
    default:
      throw new Error(`not generated: ${f.op}`);
  }
}

const textOf = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);

interface RefSeries {
  key: string | null;
  total: number;
  points: number[];
}

function reference(
  groups: Map<string, RefGroup>,
  events: RefEvent[],
  q: {
    metric: AggregationMetric;
    from: number;
    to: number;
    interval: 'HOUR' | 'DAY' | null;
    offset: number;
    property: string | null;
    filter: { groupType?: string; groupProperties?: PropertyFilter[] };
  },
): RefSeries[] {
  const size = q.interval === 'HOUR' ? HOUR_MS : DAY_MS;
  const floor = (ms: number) => Math.floor((ms + q.offset) / size) * size - q.offset;
  const starts: number[] = [];
  if (q.interval) for (let b = floor(q.from); b < q.to; b += size) starts.push(b);
  else starts.push(q.from);
  const bucketOf = (ms: number) => (q.interval ? starts.indexOf(floor(ms)) : 0);
  const groupOk = (id: string, at: number) => {
    const g = groups.get(id);
    const f = q.filter;
    if (f.groupType == null && !f.groupProperties?.length) return true;
    if (!g) return false;
    if (f.groupType != null && g.type !== f.groupType) return false;
    return (f.groupProperties ?? []).every((p) => matches(valueAt(g, p.key, at), p));
  };
  const cells = new Map<string | null, Map<number, number | Set<string>>>();
  const add = (key: string | null, b: number, entity: string | null) => {
    if (!cells.has(key)) cells.set(key, new Map());
    const row = cells.get(key)!;
    if (entity === null) row.set(b, ((row.get(b) as number | undefined) ?? 0) + 1);
    else {
      if (!row.has(b)) row.set(b, new Set());
      (row.get(b) as Set<string>).add(entity);
    }
  };
  for (const e of events) {
    if (e.createdAt < q.from || e.createdAt >= q.to) continue;
    const pairs = e.groupIds.filter((g) => groupOk(g, e.createdAt));
    if ((q.filter.groupType != null || q.filter.groupProperties?.length) && pairs.length === 0) continue;
    const b = bucketOf(e.createdAt);
    const keyOf = (g: string) =>
      q.property ? textOf(groups.get(g) ? valueAt(groups.get(g)!, q.property, e.createdAt) : null) : null;
    if (q.metric === 'UNIQUE_GROUPS') {
      for (const g of pairs) add(keyOf(g), b, g);
      continue;
    }
    let keys: (string | null)[] = [null];
    if (q.property) {
      keys = [...new Set(pairs.map(keyOf).filter((k): k is string => k !== null))];
      if (keys.length === 0) keys = [null];
    }
    for (const key of keys) {
      if (q.metric === 'EVENTS') add(key, b, null);
      else if (e.profileId) add(key, b, e.profileId);
    }
  }
  const measure = (row: Map<number, number | Set<string>>, bs: number[]) => {
    if (q.metric === 'EVENTS') return bs.reduce((n, b) => n + ((row.get(b) as number | undefined) ?? 0), 0);
    const union = new Set<string>();
    for (const b of bs) for (const x of (row.get(b) as Set<string> | undefined) ?? []) union.add(x);
    return union.size;
  };
  const all = starts.map((_, i) => i);
  const series = [...cells].map(([key, row]) => ({
    key,
    total: measure(row, all),
    points: all.map((i) => measure(row, [i])),
  }));
  const byKey = (a: string | null, b: string | null) =>
    a === b ? 0 : a === null ? 1 : b === null ? -1 : Buffer.compare(Buffer.from(a), Buffer.from(b));
  series.sort((a, b) => b.total - a.total || byKey(a.key, b.key));
  const top = series.slice(0, 10);
  if (top.length === 0 && !q.property) return [{ key: null, total: 0, points: all.map(() => 0) }];
  return top;
}

const PLANS = ['free', 'pro', 'enterprise'];

async function build(rng: Random) {
  const { projectId } = await t.createKey('root');
  const prisma = t.db.prisma;
  const services = createServices(prisma, { trackBatchMax: 1000 });
  const now = Date.now();
  const past = now - 3 * DAY_MS;
  const ids = Array.from({ length: 8 }, (_, i) => `g${i}`);
  // g0–g2: written before history existed (no rows), created inside an hour three days ago.
  for (const id of ids.slice(0, 3)) {
    await prisma.group.create({
      data: {
        projectId,
        id,
        type: pick(rng, ['company', 'team']),
        properties: { plan: pick(rng, PLANS), seats: Math.floor(rng() * 4) * 5 },
        createdAt: new Date(past + Math.floor(rng() * 20 * HOUR_MS)),
      },
    });
  }
  // g3–g5: older recorded changes at random instants (some exactly on the hour), then the API.
  for (const id of ids.slice(3, 6)) {
    const createdAt = past - DAY_MS + Math.floor(rng() * 12) * HOUR_MS;
    await prisma.group.create({
      data: { projectId, id, type: pick(rng, ['company', 'team']), createdAt: new Date(createdAt) },
    });
    let previous: unknown = null;
    let at = createdAt;
    for (let i = 0; i < 4; i++) {
      at += rng() < 0.3 ? Math.ceil(rng() * 10) * HOUR_MS : Math.floor(rng() * 10 * HOUR_MS);
      const value = pick(rng, [...PLANS, null]);
      if (jsonEqual(value, previous)) continue;
      await prisma.groupPropertyChange.create({
        data: {
          projectId,
          groupId: id,
          key: 'plan',
          value: value ?? undefined,
          previousValue: previous ?? undefined,
          changedAt: new Date(at),
        },
      });
      previous = value;
    }
    await prisma.group.update({
      where: { projectId_id: { projectId, id } },
      data: { properties: previous === null ? {} : { plan: previous as string } },
    });
  }
  // Changes through the API now, a few milliseconds apart.
  const changeTimes: number[] = [];
  for (let round = 0; round < 6; round++) {
    for (const id of ids.slice(0, 7).filter(() => rng() < 0.5)) {
      const properties: Record<string, unknown> = {};
      if (rng() < 0.8) properties.plan = pick(rng, [...PLANS, null]);
      if (rng() < 0.5) properties.seats = rng() < 0.2 ? null : Math.floor(rng() * 4) * 5;
      await services.groups.upsert(projectId, {
        id,
        type: rng() < 0.3 ? pick(rng, ['company', 'team']) : null,
        properties,
      });
    }
    changeTimes.push(Date.now());
    await new Promise((r) => setTimeout(r, 15));
  }
  // g7 stays a placeholder (no properties ever).

  const history = await prisma.groupPropertyChange.findMany({
    where: { projectId },
    orderBy: [{ changedAt: 'asc' }, { id: 'asc' }],
  });
  const instants = [...history.map((h) => h.changedAt.getTime()), ...changeTimes];
  const end = Date.now() + 1000;
  const events: EventInput[] = Array.from({ length: 700 }, (_, i) => {
    const r = rng();
    const at =
      r < 0.25
        ? pick(rng, instants) + pick(rng, [-1, 0, 0, 1]) // on and around each change
        : r < 0.45
          ? end - Math.floor(rng() * 3000) // among today's changes
          : past - DAY_MS - 6 * HOUR_MS + Math.floor(rng() * 4.5 * DAY_MS); // the days before
    return {
      id: `e${i}`,
      name: 'x',
      profileId: rng() < 0.85 ? `u${Math.floor(rng() * 12)}` : null,
      groups: rng() < 0.15 ? [] : [...new Set([pick(rng, ids), pick(rng, ids)])].slice(0, 1 + Math.floor(rng() * 2)),
      timestamp: new Date(Math.min(at, end)),
      inheritProfileGroups: false,
    };
  });
  await services.ingest.trackBatch(projectId, events, new Date(end));

  const stored = await prisma.group.findMany({ where: { projectId } });
  const groups = new Map<string, RefGroup>(
    stored.map((g) => [
      g.id,
      {
        id: g.id,
        type: g.type,
        createdAt: g.createdAt.getTime(),
        properties: g.properties as Record<string, unknown>,
        changes: history
          .filter((h) => h.groupId === g.id)
          .map((h) => ({ key: h.key, value: h.value, previousValue: h.previousValue, at: h.changedAt.getTime() })),
      },
    ]),
  );
  const refEvents = (await prisma.event.findMany({ where: { projectId } })).map((e) => ({
    createdAt: e.createdAt.getTime(),
    profileId: e.profileId,
    groupIds: e.groupIds,
  }));
  return { projectId, services, groups, events: refEvents, start: past - 2 * DAY_MS, end: end + HOUR_MS };
}

function randomFilter(rng: Random): PropertyFilter {
  const r = rng();
  if (r < 0.35) return { key: 'plan', op: 'EQ', value: pick(rng, PLANS) };
  if (r < 0.5) return { key: 'plan', op: 'NEQ', value: pick(rng, PLANS) };
  if (r < 0.65) return { key: 'plan', op: 'IN', value: ['pro', 'enterprise'] };
  if (r < 0.8) return { key: 'seats', op: rng() < 0.5 ? 'GT' : 'LTE', value: 5 };
  return { key: pick(rng, ['plan', 'seats']), op: 'EXISTS', value: rng() < 0.5 };
}

describe('propertiesAt: EVENT_TIME', () => {
  it(
    'equals the in-memory reference for GROUP_PROPERTY breakdowns and groupProperties filters',
    { timeout: 300_000 },
    async () => {
      for (const seed of [1, 2]) {
        const rng = seededRandom(seed);
        const world = await build(rng);
        for (let n = 0; n < 40; n++) {
          const metric = pick(rng, ['EVENTS', 'UNIQUE_PROFILES', 'UNIQUE_GROUPS'] as const);
          const interval = pick(rng, [null, 'HOUR', 'DAY', 'DAY'] as const);
          const kolkata = interval === 'DAY' && rng() < 0.5;
          const breakdown = rng() < 0.7;
          const property = breakdown ? pick(rng, ['plan', 'plan', 'seats']) : null;
          const filters =
            rng() < 0.6 || !breakdown ? Array.from({ length: 1 + Math.floor(rng() * 2) }, () => randomFilter(rng)) : [];
          const groupType = rng() < 0.2 ? pick(rng, ['company', 'team']) : undefined;
          // Whole hours, odd minutes: rollup hours, cut hours and raw edges.
          const span = interval === 'HOUR' ? 2 * DAY_MS : world.end - world.start;
          const from =
            interval === 'HOUR'
              ? world.end - span
              : world.start + (rng() < 0.5 ? 0 : Math.floor(rng() * 90) * MINUTE_MS);
          const to = interval === 'HOUR' ? world.end : world.end;
          const filter = { ...(filters.length && { groupProperties: filters }), ...(groupType && { groupType }) };
          const input: AggregationInput = {
            metric,
            from: new Date(from),
            to: new Date(to),
            interval,
            timezone: kolkata ? 'Asia/Kolkata' : 'UTC',
            ...(breakdown && { breakdown: 'GROUP_PROPERTY' as const, breakdownProperty: property }),
            filter,
            propertiesAt: 'EVENT_TIME',
          };
          const expected = reference(world.groups, world.events, {
            metric,
            from,
            to,
            interval,
            offset: kolkata ? 5.5 * HOUR_MS : 0,
            property,
            filter,
          });
          const answer = await world.services.aggregation.aggregate(world.projectId, input);
          const got = answer.series.map((s) => ({ key: s.key, total: s.total, points: s.points.map((p) => p.value) }));
          expect(got, JSON.stringify({ seed, n, input })).toEqual(expected);
        }
      }
    },
  );

  it('keeps NOW as it was, and refuses an unknown value', async () => {
    const rng = seededRandom(3);
    const world = await build(rng);
    const base = {
      metric: 'EVENTS' as const,
      from: new Date(world.start),
      to: new Date(world.end),
      breakdown: 'GROUP_PROPERTY' as const,
      breakdownProperty: 'plan',
    };
    const now = await world.services.aggregation.aggregate(world.projectId, base);
    const explicit = await world.services.aggregation.aggregate(world.projectId, { ...base, propertiesAt: 'NOW' });
    expect(explicit).toEqual(now);
    const bad = await t.gql(`{ eventAggregation(input: { metric: EVENTS, propertiesAt: LATER }) { series { key } } }`);
    expect(bad.errors?.length).toBeGreaterThan(0);
    const ok = await t.ok(
      `{ eventAggregation(input: { metric: EVENTS, breakdown: GROUP_PROPERTY, breakdownProperty: "plan", propertiesAt: EVENT_TIME }) { series { key total } } }`,
    );
    expect(Array.isArray(ok.eventAggregation.series)).toBe(true);
  });
});
