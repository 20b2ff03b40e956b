import type { Listener, NotificationHandler } from '../db/listener.ts';
import { Prisma, type Event, type PrismaClient } from '../generated/prisma/client.ts';
import { validateEventFilter, type EventFilter } from './analysis/filter.ts';
import { eventFilterSql } from './analysis/filterSql.ts';
import { AppError } from './errors.ts';
import { LIVE_EVENTS_CHANNEL } from './ingest.ts';

/** Events a subscriber may fall behind by before it is ended with SLOW_CONSUMER. */
export const LIVE_BUFFER_EVENTS = 1_000;

/** Starts listening to the database's notifications (Database.listen, bound to a database). */
export type Listen = (channel: string, onPayload: NotificationHandler) => Listener;

/** What a subscription yields: a stored event, or the end of a subscriber that fell too far behind. */
export type LiveItem = { event: Event } | { overflow: AppError };

interface Subscriber {
  projectId: string;
  filter: EventFilter;
  /** The parts of the filter on the event's own columns (names, profile, groups, time), checked here. */
  matches: (event: Event) => boolean;
  /** The rest (property, group and cohort conditions), which the database checks; null when there is none. */
  sqlFilter: EventFilter | null;
  /** One key per distinct sqlFilter, so subscribers with the same one share its column. */
  sqlKey: string | null;
  push(event: Event): void;
  /** Ends the subscription's stream (the server is stopping). */
  end(): void;
}

/** One announcement: ids stored by one statement of one project, in the order they were stored. */
interface Announcement {
  projectId: string;
  ids: string[];
}

/**
 * The conditions of `filter` on the event row itself, checked in memory with the
 * same meaning as `eventFilterSql` (names and group ids compared exactly, `from`
 * inclusive, `to` exclusive), so a burst of events needs no SQL per filter.
 */
export function eventRowMatcher(filter: EventFilter): (event: Event) => boolean {
  const names = filter.eventNames?.length ? new Set(filter.eventNames) : null;
  const profileId = filter.profileId ?? null;
  const groups = filter.groupIds?.length ? new Set(filter.groupIds) : null;
  const from = filter.from ? filter.from.getTime() : null;
  const to = filter.to ? filter.to.getTime() : null;
  return (event) =>
    (names === null || names.has(event.name)) &&
    (profileId === null || event.profileId === profileId) &&
    (groups === null || event.groupIds.some((g) => groups.has(g))) &&
    (from === null || event.createdAt.getTime() >= from) &&
    (to === null || event.createdAt.getTime() < to);
}

/** The conditions of `filter` that only SQL can check (jsonb comparisons, the groups' rows, cohorts); null when none. */
export function sqlOnlyPart(filter: EventFilter): EventFilter | null {
  const part: EventFilter = {};
  if (filter.properties?.length) part.properties = filter.properties;
  if (filter.groupType != null) part.groupType = filter.groupType;
  if (filter.groupProperties?.length) part.groupProperties = filter.groupProperties;
  if (filter.cohortId != null) {
    part.cohortId = filter.cohortId;
    part.cohort = filter.cohort;
  }
  return Object.keys(part).length > 0 ? part : null;
}

/** Resolves a filter's cohort (CohortService.resolveFilter): a cohortId must be known before any SQL is built. */
export type ResolveFilter = (projectId: string, filter: EventFilter) => Promise<EventFilter>;

/**
 * The subscribers of one burst, indexed by one condition of each on the event
 * row (a group id, else an event name, else a profile id), so an event is checked
 * against the subscribers it may match rather than against all of them.
 */
class Candidates {
  private readonly byGroup = new Map<string, Subscriber[]>();
  private readonly byName = new Map<string, Subscriber[]>();
  private readonly byProfile = new Map<string, Subscriber[]>();
  private readonly everyEvent: Subscriber[] = [];

  constructor(subscribers: Iterable<Subscriber>) {
    const add = (index: Map<string, Subscriber[]>, key: string, s: Subscriber) => {
      const list = index.get(key);
      if (list) list.push(s);
      else index.set(key, [s]);
    };
    for (const s of subscribers) {
      const { groupIds, eventNames, profileId } = s.filter;
      if (groupIds?.length) for (const g of new Set(groupIds)) add(this.byGroup, g, s);
      else if (eventNames?.length) for (const n of new Set(eventNames)) add(this.byName, n, s);
      else if (profileId != null) add(this.byProfile, profileId, s);
      else this.everyEvent.push(s);
    }
  }

  /** Each subscriber that may want `event`, once (the caller still checks its whole filter). */
  of(event: Event): Iterable<Subscriber> {
    const found: Subscriber[] = [...this.everyEvent];
    for (const g of event.groupIds) for (const s of this.byGroup.get(g) ?? []) found.push(s);
    for (const s of this.byName.get(event.name) ?? []) found.push(s);
    if (event.profileId !== null) for (const s of this.byProfile.get(event.profileId) ?? []) found.push(s);
    // A subscriber indexed under two groups is found twice for an event of both.
    return event.groupIds.length > 1 ? new Set(found) : found;
  }
}

/** The column the announced-events query returns the indexes of the SQL filters an event meets in. */
const SQL_MATCHES = '__liveMatches';

/**
 * Live events: every event stored after a subscription started that matches its
 * filter, in commit order, whichever server process stored it. The ingest
 * statement announces [projectId, id, id, …] (a few notifications per statement);
 * this process listens on one connection and, for each project with subscribers,
 * reads each burst of announced events once. Conditions on the event's own columns
 * are matched in memory; only property, group and cohort conditions go into that
 * one query (one column per distinct condition), so the cost per event does not
 * grow with the subscriber count beyond a cheap in-memory check.
 */
export class LiveEventService {
  /** Open subscriptions by project. */
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private count = 0;
  private listener: Listener | undefined;
  /** Announcements not yet dispatched, in commit order. */
  private pending: Announcement[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly listen: Listen,
    private readonly resolveFilter: ResolveFilter = async (_projectId, filter) => filter,
    private readonly bufferEvents = LIVE_BUFFER_EVENTS,
  ) {}

  /** Listens from the first subscription on, so a process nobody watches holds no extra connection. */
  private async ensureListening(): Promise<void> {
    this.listener ??= this.listen(LIVE_EVENTS_CHANNEL, (payload) => this.announce(payload));
    await this.listener.ready;
  }

  private announce(payload: string): void {
    if (this.count === 0) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return; // not ours
    }
    // [projectId, id, id, …]; a payload of one id is what earlier releases sent.
    if (!Array.isArray(parsed) || parsed.length < 2 || !parsed.every((x) => typeof x === 'string')) return;
    const [projectId, ...ids] = parsed as string[];
    if (!this.subscribers.has(projectId!)) return;
    this.pending.push({ projectId: projectId!, ids });
    // Notifications arrive in bursts (transactions commit close together): dispatch them together, one burst at a time.
    this.draining ??= Promise.resolve().then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        const byProject = new Map<string, string[]>();
        for (const { projectId, ids } of batch) {
          const list = byProject.get(projectId);
          if (list) for (const id of ids) list.push(id);
          else byProject.set(projectId, ids);
        }
        for (const [projectId, ids] of byProject) {
          try {
            await this.dispatch(projectId, ids);
          } catch {
            // The database is away (or the query failed); these events cannot be read
            // now. Subscribers stay open and receive what is stored once it is back.
          }
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async dispatch(projectId: string, ids: string[]): Promise<void> {
    const watching = [...(this.subscribers.get(projectId) ?? [])];
    if (watching.length === 0) return;
    // The distinct SQL-only conditions, each a position in the matches array.
    const sqlIndex = new Map<string, number>();
    const conditions: Prisma.Sql[] = [];
    const now = new Date();
    for (const s of watching) {
      if (s.sqlKey === null || sqlIndex.has(s.sqlKey)) continue;
      sqlIndex.set(s.sqlKey, conditions.length);
      // A cohort's "in the last N days" ends now, as it would for a query sent now.
      const filter = s.sqlFilter!.cohort ? { ...s.sqlFilter!, cohort: { ...s.sqlFilter!.cohort, now } } : s.sqlFilter!;
      conditions.push(Prisma.sql`CASE WHEN ${eventFilterSql(projectId, filter)} THEN ${conditions.length}::int END`);
    }
    const matchColumn = conditions.length
      ? Prisma.sql`, array_remove(ARRAY[${Prisma.join(conditions, ', ')}], NULL) AS ${Prisma.raw(`"${SQL_MATCHES}"`)}`
      : Prisma.empty;
    const rows = await this.prisma.$queryRaw<(Event & { [SQL_MATCHES]?: number[] })[]>`
      SELECT "e".* ${matchColumn}
      FROM "Event" "e"
      WHERE "e"."projectId" = ${projectId} AND "e"."id" = ANY(${ids}::text[])`;
    const order = new Map(ids.map((id, i) => [id, i]));
    rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const candidates = new Candidates(watching);
    for (const row of rows) {
      const { [SQL_MATCHES]: sqlMatches, ...event } = row;
      for (const s of candidates.of(event)) {
        if (!s.matches(event)) continue;
        if (s.sqlKey !== null && !sqlMatches!.includes(sqlIndex.get(s.sqlKey)!)) continue;
        s.push(event);
      }
    }
  }

  /**
   * Events of `projectId` matching `filter`, from now on. The iterator ends when
   * the client goes away (return()), or after an `overflow` item when more than
   * the buffer's worth of events waited for a client that does not read.
   */
  async subscribe(projectId: string, filter: EventFilter | null | undefined): Promise<AsyncIterableIterator<LiveItem>> {
    const valid = await this.resolveFilter(projectId, validateEventFilter(filter));
    const sqlFilter = sqlOnlyPart(valid);
    await this.ensureListening();

    const queue: LiveItem[] = [];
    let waiting: ((result: IteratorResult<LiveItem>) => void) | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const set = this.subscribers.get(projectId)!;
      set.delete(subscriber);
      if (set.size === 0) this.subscribers.delete(projectId);
      this.count--;
    };
    const deliver = (item: LiveItem) => {
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value: item, done: false });
      } else queue.push(item);
    };
    const subscriber: Subscriber = {
      projectId,
      filter: valid,
      matches: eventRowMatcher(valid),
      sqlFilter,
      sqlKey: sqlFilter && JSON.stringify({ ...sqlFilter, cohort: sqlFilter.cohort?.definition }),
      push: (event) => {
        if (done) return;
        if (queue.length >= this.bufferEvents) {
          // Drop what waits: the server keeps no more than the buffer for a client that does not read.
          queue.length = 0;
          finish();
          deliver({
            overflow: new AppError(
              'SLOW_CONSUMER',
              `More than ${this.bufferEvents} events waited for this subscription; it was ended. Subscribe again.`,
              { bufferEvents: this.bufferEvents },
            ),
          });
          return;
        }
        deliver({ event });
      },
      end: () => void iterator.return!(),
    };
    let set = this.subscribers.get(projectId);
    if (!set) this.subscribers.set(projectId, (set = new Set()));
    set.add(subscriber);
    this.count++;

    const iterator: AsyncIterableIterator<LiveItem> = {
      next: () => {
        const item = queue.shift();
        if (item) return Promise.resolve({ value: item, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: () => {
        finish();
        queue.length = 0;
        waiting?.({ value: undefined, done: true });
        waiting = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Open subscriptions in this process (metrics, tests). */
  get subscriberCount(): number {
    return this.count;
  }

  async close(): Promise<void> {
    for (const set of [...this.subscribers.values()]) for (const s of [...set]) s.end();
    await this.listener?.close();
    this.listener = undefined;
  }
}
