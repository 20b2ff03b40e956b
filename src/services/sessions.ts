import { createHash, randomBytes, randomUUID } from 'node:crypto';

import type { PrismaClient } from '../generated/prisma/client.ts';

/** A device's session continues while it is active within this window. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;

/**
 * A process that recorded a device's activity in the database answers the
 * device's next requests within this time from memory: its session cannot
 * have ended meanwhile (the stored last activity is at most this old), so the
 * answer is the one the database would give. The stored last activity may lag
 * by up to this much, which is the precision of the 30-minute rule.
 */
export const SESSION_TOUCH_INTERVAL_MS = 60 * 1000;
const RECENT_DEVICES_MAX = 100_000;

export interface DeviceIds {
  /** The device id under today's salt. */
  current: string;
  /** The same device under yesterday's salt (null when there was none), so sessions survive midnight. */
  previous: string | null;
}

interface Salts {
  current: string;
  previous: string | null;
}

const utcDay = (at: Date) => at.toISOString().slice(0, 10);

function hashDevice(salt: string, projectId: string, userAgent: string, ip: string): string {
  return createHash('sha256').update(`${salt}\0${projectId}\0${userAgent}\0${ip}`).digest('hex').slice(0, 32);
}

/**
 * OpenPanel-style cookieless devices and server-side sessions. A device id is a
 * hash of the project's salt of the UTC day, the user agent and the IP: stable
 * for a day, never storing the IP, unlinkable once the salt is deleted. Salts
 * and sessions live in the database so every server process agrees.
 */
export class SessionService {
  /** Devices whose activity this process recorded lately: key → session and when it was recorded. */
  private recent = new Map<string, { sessionId: string; touchedAt: number }>();
  /** Salts of the current day by project; they never change once created. */
  private salts = new Map<string, Salts>();
  private saltsDay = '';

  constructor(private readonly prisma: PrismaClient) {}

  async deviceIds(projectId: string, userAgent: string, ip: string, now = new Date()): Promise<DeviceIds> {
    const salts = await this.saltsFor(projectId, now);
    return {
      current: hashDevice(salts.current, projectId, userAgent, ip),
      previous: salts.previous === null ? null : hashDevice(salts.previous, projectId, userAgent, ip),
    };
  }

  /**
   * The device's session id for activity at `now`: from memory when this
   * process recorded the device's activity less than a minute ago, else
   * recorded in the database by `touch`.
   */
  async session(
    projectId: string,
    deviceId: string,
    previousDeviceId: string | null,
    now = new Date(),
  ): Promise<string> {
    const key = `${projectId}\0${deviceId}`;
    const at = now.getTime();
    const recent = this.recent.get(key);
    if (recent && at >= recent.touchedAt && at - recent.touchedAt < SESSION_TOUCH_INTERVAL_MS) return recent.sessionId;
    const sessionId = await this.touch(projectId, deviceId, previousDeviceId, now);
    this.recent.delete(key);
    this.recent.set(key, { sessionId, touchedAt: at });
    if (this.recent.size > RECENT_DEVICES_MAX) {
      // Oldest first (insertion order): drop a tenth, which are stale by now or nearly.
      let drop = RECENT_DEVICES_MAX / 10;
      for (const k of this.recent.keys()) {
        this.recent.delete(k);
        if (--drop <= 0) break;
      }
    }
    return sessionId;
  }

  /**
   * Records activity of a device at `now` and returns its session id, in one
   * statement: the current session while the last activity is within 30
   * minutes, else the session the device had under yesterday's id (if still
   * active), else a new one. Concurrent first requests of a device agree.
   */
  async touch(projectId: string, deviceId: string, previousDeviceId: string | null, now = new Date()): Promise<string> {
    const idleSince = new Date(now.getTime() - SESSION_IDLE_MS);
    const rows = await this.prisma.$queryRaw<{ sessionId: string }[]>`
      INSERT INTO "DeviceSession" AS s ("projectId", "deviceId", "sessionId", "startedAt", "lastSeenAt")
      SELECT ${projectId}, ${deviceId}, COALESCE(
        (SELECT p."sessionId" FROM "DeviceSession" p
          WHERE p."projectId" = ${projectId} AND p."deviceId" = ${previousDeviceId}
            AND p."lastSeenAt" > ${idleSince}::timestamptz),
        ${randomUUID()}), ${now}::timestamptz, ${now}::timestamptz
      ON CONFLICT ("projectId", "deviceId") DO UPDATE SET
        "sessionId" = CASE WHEN s."lastSeenAt" > ${idleSince}::timestamptz THEN s."sessionId" ELSE EXCLUDED."sessionId" END,
        "startedAt" = CASE WHEN s."lastSeenAt" > ${idleSince}::timestamptz THEN s."startedAt" ELSE EXCLUDED."startedAt" END,
        "lastSeenAt" = GREATEST(s."lastSeenAt", EXCLUDED."lastSeenAt")
      RETURNING "sessionId"`;
    return rows[0]!.sessionId;
  }

  /**
   * Today's salt (created by whichever process asks first; all read the same
   * row) and yesterday's if any. Creating a day's salt also deletes older salts
   * and sessions idle for more than a day.
   */
  private async saltsFor(projectId: string, now: Date): Promise<Salts> {
    const day = utcDay(now);
    if (day !== this.saltsDay) {
      this.salts.clear();
      this.saltsDay = day;
    }
    const cached = this.salts.get(projectId);
    if (cached) return cached;
    const yesterday = utcDay(new Date(now.getTime() - 24 * 60 * 60 * 1000));
    const stale = new Date(now.getTime() - 24 * 60 * 60 * 1000);
    const [row] = await this.prisma.$queryRaw<Salts[]>`
      WITH today AS (
        INSERT INTO "DeviceSalt" ("projectId", "day", "salt")
        VALUES (${projectId}, ${day}::date, ${randomBytes(32).toString('base64url')})
        ON CONFLICT ("projectId", "day") DO UPDATE SET "salt" = "DeviceSalt"."salt"
        RETURNING "salt"
      ),
      old_salts AS (
        DELETE FROM "DeviceSalt" WHERE "projectId" = ${projectId} AND "day" < ${yesterday}::date
      ),
      old_sessions AS (
        DELETE FROM "DeviceSession" WHERE "projectId" = ${projectId} AND "lastSeenAt" < ${stale}::timestamptz
      )
      SELECT (SELECT "salt" FROM today) AS "current",
        (SELECT "salt" FROM "DeviceSalt" WHERE "projectId" = ${projectId} AND "day" = ${yesterday}::date) AS "previous"`;
    const salts = { current: row!.current, previous: row!.previous };
    this.salts.set(projectId, salts);
    return salts;
  }
}
