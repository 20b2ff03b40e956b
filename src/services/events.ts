import { Prisma, type Event, type PrismaClient } from '../generated/prisma/client.ts';
import { validateEventFilter, type EventFilter } from './analysis/filter.ts';
import { eventFilterSql } from './analysis/filterSql.ts';
import { CohortService } from './cohorts/service.ts';
import {
  cursorText,
  cursorTime,
  decodeCursor,
  encodeCursor,
  pageSize,
  toPage,
  type Page,
  type PageArgs,
} from './pagination.ts';

const cursorOf = (e: Event) => encodeCursor([e.createdAt.toISOString(), e.id]);

/** Reading events: newest first, keyset-paginated on (createdAt, id). */
export class EventService {
  private readonly cohorts: CohortService;

  constructor(private readonly prisma: PrismaClient) {
    this.cohorts = new CohortService(prisma);
  }

  /**
   * Events matching the filter. With `groupId`, only that group's events, read
   * through its EventGroup index rows so a small group's page does not scan the
   * project's whole history.
   */
  async list(
    projectId: string,
    filter: EventFilter | null | undefined,
    args: PageArgs,
    groupId?: string,
  ): Promise<Page<Event>> {
    const valid = await this.cohorts.resolveFilter(projectId, validateEventFilter(filter));
    const size = pageSize(args);
    const after = args.after ? decodeCursor(args.after, ['string', 'string']) : null;
    const afterTime = after ? cursorTime(after[0]!) : null;
    if (after) cursorText(after[1]!);
    const where = eventFilterSql(projectId, valid);
    const rows =
      groupId === undefined
        ? await this.prisma.$queryRaw<Event[]>`
            SELECT "e".* FROM "Event" "e"
            WHERE "e"."projectId" = ${projectId} AND ${where}
              ${after ? Prisma.sql`AND ("e"."createdAt", "e"."id") < (${afterTime}::timestamptz, ${after[1] as string})` : Prisma.empty}
            ORDER BY "e"."createdAt" DESC, "e"."id" DESC
            LIMIT ${size + 1}`
        : await this.prisma.$queryRaw<Event[]>`
            SELECT "e".* FROM "EventGroup" "eg"
            JOIN "Event" "e" ON "e"."projectId" = "eg"."projectId" AND "e"."id" = "eg"."eventId"
            WHERE "eg"."projectId" = ${projectId} AND "eg"."groupId" = ${groupId} AND ${where}
              ${after ? Prisma.sql`AND ("eg"."createdAt", "eg"."eventId") < (${afterTime}::timestamptz, ${after[1] as string})` : Prisma.empty}
            ORDER BY "eg"."createdAt" DESC, "eg"."eventId" DESC
            LIMIT ${size + 1}`;
    return toPage(rows, size, cursorOf, after !== null);
  }
}
