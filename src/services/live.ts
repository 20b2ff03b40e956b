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
  /** Index into the project's distinct filters of the current dispatch. */
  filterKey: string;
  filter: EventFilter;
  push(event: Event): void;
  /** Ends the subscription's stream (the server is stopping). */
  end(): void;
}

/**
 * Live events: every event stored after a subscription started that matches its
 * filter, in commit order, whichever server process stored it. The ingest
 * statement notifies [projectId, eventId] per stored event; this process listens
 * on one connection, and for each project with subscribers reads the announced
 * events once, with one boolean column per distinct filter (the same SQL as
 * Query.events), so the cost per event does not grow with the subscriber count.
 */
export class LiveEventService {
  private readonly subscribers = new Set<Subscriber>();
  private listener: Listener | undefined;
  /** Announced [projectId, eventId] pairs not yet dispatched, in commit order. */
  private pending: [string, string][] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly listen: Listen,
    private readonly bufferEvents = LIVE_BUFFER_EVENTS,
  ) {}

  /** Listens from the first subscription on, so a process nobody watches holds no extra connection. */
  private async ensureListening(): Promise<void> {
    this.listener ??= this.listen(LIVE_EVENTS_CHANNEL, (payload) => this.announce(payload));
    await this.listener.ready;
  }

  private announce(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return; // not ours
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') return;
    if (this.subscribers.size === 0) return;
    this.pending.push([parsed[0], parsed[1]]);
    // Notifications arrive in bursts (a batch commits many at once): dispatch them together, one at a time.
    this.draining ??= Promise.resolve().then(() => this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        const byProject = new Map<string, string[]>();
        for (const [projectId, id] of batch) {
          const ids = byProject.get(projectId) ?? [];
          ids.push(id);
          byProject.set(projectId, ids);
        }
        for (const [projectId, ids] of byProject) await this.dispatch(projectId, ids);
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async dispatch(projectId: string, ids: string[]): Promise<void> {
    const watching = [...this.subscribers].filter((s) => s.projectId === projectId);
    if (watching.length === 0) return;
    const filters = new Map<string, EventFilter>();
    for (const s of watching) filters.set(s.filterKey, s.filter);
    const keys = [...filters.keys()];
    const matches = keys.map(
      (key, i) => Prisma.sql`(${eventFilterSql(projectId, filters.get(key)!)}) AS ${Prisma.raw(`"m${i}"`)}`,
    );
    let rows: (Event & Record<string, unknown>)[];
    try {
      rows = await this.prisma.$queryRaw<(Event & Record<string, unknown>)[]>`
        SELECT "e".*, ${Prisma.join(matches, ', ')}
        FROM "Event" "e"
        WHERE "e"."projectId" = ${projectId} AND "e"."id" = ANY(${ids}::text[])`;
    } catch {
      // The database is away; these events cannot be read now. Subscribers stay open
      // and receive what is stored once it is back.
      return;
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    for (const row of rows) {
      const event = Object.fromEntries(Object.entries(row).filter(([k]) => !/^m\d+$/.test(k))) as unknown as Event;
      for (const s of watching) {
        if (row[`m${keys.indexOf(s.filterKey)}`] === true) s.push(event);
      }
    }
  }

  /**
   * Events of `projectId` matching `filter`, from now on. The iterator ends when
   * the client goes away (return()), or after an `overflow` item when more than
   * the buffer's worth of events waited for a client that does not read.
   */
  async subscribe(projectId: string, filter: EventFilter | null | undefined): Promise<AsyncIterableIterator<LiveItem>> {
    const valid = validateEventFilter(filter);
    await this.ensureListening();

    const queue: LiveItem[] = [];
    let waiting: ((result: IteratorResult<LiveItem>) => void) | undefined;
    let done = false;
    const finish = () => {
      done = true;
      this.subscribers.delete(subscriber);
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
      filterKey: JSON.stringify(valid),
      filter: valid,
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
    this.subscribers.add(subscriber);

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
    return this.subscribers.size;
  }

  async close(): Promise<void> {
    for (const s of [...this.subscribers]) s.end();
    await this.listener?.close();
    this.listener = undefined;
  }
}
