import type { PrismaClient } from '../../generated/prisma/client.ts';
import { ValidationError } from '../errors.ts';
import type { AggregationInterval } from './question.ts';

/**
 * Time zones and bucket boundaries, as PostgreSQL knows them: its zone database
 * decides where local days, weeks and months start (23- or 25-hour days across
 * DST, half-hour offsets). The planner (plan.ts) takes the boundaries as plain dates.
 */
export class BucketBoundaries {
  private zoneNames?: Promise<Set<string>>;

  constructor(private readonly prisma: PrismaClient) {}

  /** Throws VALIDATION_FAILED on `field` unless PostgreSQL knows the zone. */
  async checkTimezone(timezone: string, field: string): Promise<void> {
    this.zoneNames ??= this.prisma.$queryRaw<{ name: string }[]>`SELECT "name" FROM pg_timezone_names`
      .then((rows) => new Set(rows.map((r) => r.name)))
      .catch((error: unknown) => {
        this.zoneNames = undefined;
        throw error;
      });
    const names = await this.zoneNames;
    if (!names.has(timezone))
      throw new ValidationError(
        field,
        `unknown time zone "${timezone}"; use an IANA name such as "Europe/Berlin" or "UTC"`,
      );
  }

  /**
   * Bucket boundaries in the zone, ascending: every bucket start from the one
   * holding `from` (moved back `lookbackDays` local days), then the end of the
   * last bucket, which is at or after `to`.
   */
  async list(
    interval: AggregationInterval,
    timezone: string,
    from: Date,
    to: Date,
    lookbackDays: number,
  ): Promise<Date[]> {
    const rows =
      interval === 'HOUR'
        ? // Real hours, also across DST and in half-hour zones: truncating keeps the offset of the instant.
          await this.prisma.$queryRaw<{ b: Date }[]>`
            SELECT DISTINCT date_trunc('hour', x, ${timezone}) AS "b"
            FROM generate_series(date_trunc('hour', ${from}::timestamptz, ${timezone}), ${to}::timestamptz + interval '2 hours', interval '15 minutes') x
            ORDER BY 1`
        : // Local calendar units: stepping local time makes days 23 or 25 hours long across DST.
          await this.prisma.$queryRaw<{ b: Date }[]>`
            SELECT l AT TIME ZONE ${timezone} AS "b"
            FROM generate_series(
              date_trunc(${interval.toLowerCase()}, ${from}::timestamptz AT TIME ZONE ${timezone}) - make_interval(days => ${lookbackDays}::int),
              date_trunc(${interval.toLowerCase()}, (${to}::timestamptz - interval '1 millisecond') AT TIME ZONE ${timezone}) + ${`1 ${interval.toLowerCase()}`}::interval,
              ${`1 ${interval.toLowerCase()}`}::interval) l
            ORDER BY 1`;
    const all = rows.map((r) => r.b);
    const firstAfter = all.findIndex((b) => b.getTime() >= to.getTime());
    return firstAfter === -1 ? all : all.slice(0, firstAfter + 1);
  }
}
