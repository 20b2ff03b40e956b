import { AppError, ValidationError } from './errors.ts';
import type { GroupService } from './groups.ts';
import { eventTime, requireId } from './validation.ts';
import { toEventRow, type IngestService, type StoredEvent } from './ingest.ts';
import type { MembershipService } from './memberships.ts';
import type { ProfileService } from './profiles.ts';
import type { SessionService } from './sessions.ts';

/** What OpenPanel's SDKs get back from POST /track. */
export interface TrackReply {
  deviceId: string;
  sessionId: string;
  /** For `track`: the stored event (ours; the SDKs ignore it). */
  event?: StoredEvent;
}

/** Who sent the request, as the HTTP layer saw it. */
export interface TrackClient {
  userAgent: string;
  ip: string;
}

export interface OpenPanelDependencies {
  ingest: IngestService;
  profiles: ProfileService;
  groups: GroupService;
  memberships: MembershipService;
  sessions: SessionService;
}

type Payload = Record<string, unknown>;

const TYPES = ['track', 'identify', 'group', 'assign_group', 'increment', 'decrement'] as const;
type TrackType = (typeof TYPES)[number];
const NOT_SUPPORTED = new Set(['alias', 'replay']);

/** Reserved properties: read by the server, not stored under these names. */
const RESERVED = ['__timestamp', '__deviceId', '__ip', '__path', '__referrer'] as const;

function object(value: unknown, field: string): Payload {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(field, 'must be a JSON object');
  }
  return value as Payload;
}

function optionalObject(value: unknown, field: string): Payload {
  return value === undefined || value === null ? {} : object(value, field);
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string');
  return value;
}

/** OpenPanel profile ids may be numbers. */
function optionalProfileId(value: unknown, field: string): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return optionalString(value, field);
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new ValidationError(field, 'must be an array of strings');
  }
  return value as string[];
}

function timestamp(value: unknown, field: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new ValidationError(field, 'must be an ISO-8601 date-time');
  return date;
}

/** Properties without the reserved keys, and the reserved values apart. */
function splitReserved(properties: Payload): {
  rest: Payload;
  reserved: Partial<Record<(typeof RESERVED)[number], unknown>>;
} {
  const rest: Payload = {};
  const reserved: Partial<Record<(typeof RESERVED)[number], unknown>> = {};
  for (const [key, value] of Object.entries(properties)) {
    if ((RESERVED as readonly string[]).includes(key)) reserved[key as (typeof RESERVED)[number]] = value;
    else rest[key] = value;
  }
  return { rest, reserved };
}

/**
 * OpenPanel's ingestion contract (`{ type, payload }` as its SDKs post it to
 * /track) mapped onto our services. Every reply carries the device id (from
 * `__deviceId`, or derived from user agent, IP and the daily salt) and the
 * server-side session id, as the SDKs expect.
 */
export class OpenPanelService {
  constructor(private readonly services: OpenPanelDependencies) {}

  /** Handles one request body; resolves after everything it wrote is committed. */
  async handle(projectId: string, body: unknown, client: TrackClient, now = new Date()): Promise<TrackReply> {
    const { type, payload } = parseBody(body);
    const properties = optionalObject(payload.properties, 'payload.properties');
    const { rest, reserved } = splitReserved(properties);

    const named = optionalString(reserved.__deviceId, 'payload.properties.__deviceId');
    // Stored as the device id and, for anonymous events, the profile id: an id's limits apply.
    const explicitDevice = named === undefined ? undefined : requireId(named, 'payload.properties.__deviceId');
    const ip = optionalString(reserved.__ip, 'payload.properties.__ip') ?? client.ip;
    // Validate everything the write needs before recording any activity.
    const write = this.prepare(type, payload, rest, reserved, now);

    const devices = explicitDevice
      ? { current: explicitDevice, previous: null }
      : await this.services.sessions.deviceIds(projectId, client.userAgent, ip, now);
    const deviceId = devices.current;
    if (type === 'track') {
      const sessionId = await this.services.sessions.session(projectId, deviceId, devices.previous, now);
      const event = await write(projectId, deviceId, sessionId);
      return { deviceId, sessionId, ...(event && { event }) };
    }
    const [sessionId] = await Promise.all([
      this.services.sessions.session(projectId, deviceId, devices.previous, now),
      write(projectId, deviceId, null),
    ]);
    return { deviceId, sessionId };
  }

  /** Checks the payload of `type` and returns the write to run once the device is known. */
  private prepare(
    type: TrackType,
    payload: Payload,
    properties: Payload,
    reserved: Partial<Record<(typeof RESERVED)[number], unknown>>,
    now: Date,
  ): (projectId: string, deviceId: string, sessionId: string | null) => Promise<StoredEvent | void> {
    const { ingest, profiles, groups, memberships } = this.services;
    const profileId = optionalProfileId(payload.profileId, 'payload.profileId');
    switch (type) {
      case 'track': {
        const at = timestamp(reserved.__timestamp, 'payload.properties.__timestamp');
        if (at) eventTime(at, 'payload.properties.__timestamp', now);
        const stored: Payload = { ...properties };
        if (reserved.__path !== undefined) stored.path = reserved.__path;
        if (reserved.__referrer !== undefined) stored.referrer = reserved.__referrer;
        const row = toEventRow(
          {
            id: optionalString(payload.id, 'payload.id'),
            name: optionalString(payload.name, 'payload.name') ?? '',
            profileId,
            groups: payload.groups == null ? undefined : stringList(payload.groups, 'payload.groups'),
            properties: stored,
            timestamp: at,
          },
          'payload',
          now,
        );
        return (projectId, deviceId, sessionId) =>
          // Anonymous events belong to the device's profile, as in OpenPanel.
          ingest.store(projectId, { ...row, profileId: row.profileId ?? deviceId, deviceId, sessionId });
      }
      case 'identify': {
        if (profileId === undefined) throw new ValidationError('payload.profileId', 'is required for identify');
        requireId(profileId, 'payload.profileId');
        const input = {
          profileId,
          firstName: optionalString(payload.firstName, 'payload.firstName'),
          lastName: optionalString(payload.lastName, 'payload.lastName'),
          email: optionalString(payload.email, 'payload.email'),
          avatar: optionalString(payload.avatar, 'payload.avatar'),
          properties,
        };
        return async (projectId) => {
          await profiles.identify(projectId, input, { select: { id: true } });
        };
      }
      case 'group': {
        const input = {
          id: requireId(optionalString(payload.id, 'payload.id') ?? '', 'payload.id'),
          type: optionalString(payload.type, 'payload.type'),
          name: optionalString(payload.name, 'payload.name'),
          properties,
        };
        return async (projectId) => {
          await groups.upsert(projectId, input, { select: { id: true } });
        };
      }
      case 'assign_group': {
        const groupIds = stringList(payload.groupIds, 'payload.groupIds');
        return async (projectId, deviceId) => {
          await memberships.setGroups(
            projectId,
            { profileId: profileId ?? deviceId, groupIds },
            { select: { id: true } },
          );
        };
      }
      case 'increment':
      case 'decrement': {
        const property = optionalString(payload.property, 'payload.property') ?? '';
        const value = payload.value ?? 1;
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new ValidationError('payload.value', 'must be a finite number');
        }
        const by = type === 'increment' ? value : -value;
        return async (projectId, deviceId) => {
          await profiles.incrementProperty(projectId, profileId ?? deviceId, property, by, 'payload');
        };
      }
    }
  }
}

function parseBody(body: unknown): { type: TrackType; payload: Payload } {
  const root = object(body, 'body');
  if (typeof root.type !== 'string') throw new ValidationError('type', `must be one of ${TYPES.join(', ')}`);
  if (NOT_SUPPORTED.has(root.type)) {
    throw new AppError('VALIDATION_FAILED', `${root.type} is not supported by this server`, { field: 'type' });
  }
  if (!(TYPES as readonly string[]).includes(root.type)) {
    throw new ValidationError('type', `must be one of ${TYPES.join(', ')}, got ${JSON.stringify(root.type)}`);
  }
  return { type: root.type as TrackType, payload: object(root.payload, 'payload') };
}
