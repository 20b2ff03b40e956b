import { z } from 'zod';

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
  /**
   * The request carried a verified secret (a server-side SDK relaying its own
   * visitors). Only then is `properties.__ip` honoured: from a browser key it
   * would let anyone compute another visitor's device and session ids.
   */
  withSecret: boolean;
}

export interface OpenPanelDependencies {
  ingest: IngestService;
  profiles: ProfileService;
  groups: GroupService;
  memberships: MembershipService;
  sessions: SessionService;
}

type Properties = Record<string, unknown>;

// The body schema, as OpenPanel itself validates it: a union discriminated by
// `type`. Messages name the field the way the rest of the API does
// (`payload.properties.__timestamp: must be …`); limits on ids, names and
// properties are the services' own validation, applied afterwards.

const TYPES = ['track', 'identify', 'group', 'assign_group', 'increment', 'decrement'] as const;

const text = z.string({ error: 'must be a string' });
/** Absent and null are the same to OpenPanel's SDKs. */
const optionalText = text.nullish().transform((value) => value ?? undefined);
const stringList = z.array(text, { error: 'must be an array of strings' });
/** OpenPanel profile ids may be numbers (finite ones). */
const profileIdOf = (missing: string) =>
  z.union([z.number().transform(String), z.string()], {
    error: (issue) => (issue.input == null ? missing : 'must be a string'),
  });
const optionalProfileId = profileIdOf('must be a string')
  .nullish()
  .transform((value) => value ?? undefined);
const timestamp = z
  .union([z.string(), z.number()], { error: 'must be an ISO-8601 date-time' })
  .pipe(z.coerce.date({ error: 'must be an ISO-8601 date-time' }))
  .nullish()
  .transform((value) => value ?? undefined);

/** Reserved properties: read by the server, never stored under these names. */
const RESERVED = ['__timestamp', '__deviceId', '__ip', '__path', '__referrer'] as const;
const everyTypeReads = { __deviceId: optionalText, __ip: optionalText };

/** `properties` (absent: {}), split into the client's own and the reserved values, those in `reads` checked. */
function properties<Reads extends z.ZodRawShape>(reads: Reads) {
  return z
    .looseObject(reads, { error: 'must be a JSON object' })
    .nullish()
    .transform((value) => {
      const own: Properties = { ...value };
      for (const key of RESERVED) delete own[key];
      return { own, reserved: (value ?? {}) as z.output<z.ZodObject<Reads>> };
    });
}

const payload = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z
    .object(
      { profileId: optionalProfileId, properties: properties(everyTypeReads) },
      { error: 'must be a JSON object' },
    )
    .extend(shape);

const BODY = z.discriminatedUnion(
  'type',
  [
    z.object({
      type: z.literal('track'),
      payload: payload({
        id: optionalText,
        name: optionalText,
        groups: stringList.nullish(),
        properties: properties({
          ...everyTypeReads,
          __timestamp: timestamp,
          __path: z.unknown().optional(),
          __referrer: z.unknown().optional(),
        }),
      }),
    }),
    z.object({
      type: z.literal('identify'),
      payload: payload({
        profileId: profileIdOf('is required for identify'),
        firstName: optionalText,
        lastName: optionalText,
        email: optionalText,
        avatar: optionalText,
      }),
    }),
    z.object({
      type: z.literal('group'),
      payload: payload({ id: optionalText, type: optionalText, name: optionalText }),
    }),
    z.object({ type: z.literal('assign_group'), payload: payload({ groupIds: stringList }) }),
    z.object({
      type: z.enum(['increment', 'decrement']),
      payload: payload({
        property: optionalText,
        value: z
          .number({ error: 'must be a finite number' })
          .nullish()
          .transform((value) => value ?? 1),
      }),
    }),
    // OpenPanel types this server does not take: refused by name below.
    z.object({ type: z.enum(['alias', 'replay']) }),
  ],
  {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return 'must be a JSON object';
      const type = (issue.input as { type?: unknown }).type;
      return `must be one of ${TYPES.join(', ')}${typeof type === 'string' ? `, got ${JSON.stringify(type)}` : ''}`;
    },
  },
);

type OpenPanelBody = Exclude<z.output<typeof BODY>, { type: 'alias' | 'replay' }>;

/** `payload.groups[0]`; the body itself is `body`. */
function fieldOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

function parseBody(body: unknown): OpenPanelBody {
  const parsed = BODY.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(fieldOf(issue.path), issue.message);
  }
  const request = parsed.data;
  if (!('payload' in request)) {
    throw new AppError('VALIDATION_FAILED', `${request.type} is not supported by this server`, { field: 'type' });
  }
  return request;
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
    const request = parseBody(body);
    const { reserved } = request.payload.properties;
    // Stored as the device id and, for anonymous events, the profile id: an id's limits apply.
    const explicitDevice =
      reserved.__deviceId === undefined ? undefined : requireId(reserved.__deviceId, 'payload.properties.__deviceId');
    const ip = (client.withSecret ? reserved.__ip : undefined) ?? client.ip;
    // Validate everything the write needs before recording any activity.
    const write = this.prepare(request, now);

    const devices = explicitDevice
      ? { current: explicitDevice, previous: null }
      : await this.services.sessions.deviceIds(projectId, client.userAgent, ip, now);
    const deviceId = devices.current;
    if (request.type === 'track') {
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

  /** Applies the services' limits to the parsed body and returns the write to run once the device is known. */
  private prepare(
    { type, payload }: OpenPanelBody,
    now: Date,
  ): (projectId: string, deviceId: string, sessionId: string | null) => Promise<StoredEvent | void> {
    const { ingest, profiles, groups, memberships } = this.services;
    const { profileId } = payload;
    const properties = payload.properties.own;
    switch (type) {
      case 'track': {
        const { reserved } = payload.properties;
        const at = reserved.__timestamp;
        if (at) eventTime(at, 'payload.properties.__timestamp', now);
        const stored: Properties = { ...properties };
        if (reserved.__path !== undefined) stored.path = reserved.__path;
        if (reserved.__referrer !== undefined) stored.referrer = reserved.__referrer;
        const row = toEventRow(
          {
            id: payload.id,
            name: payload.name ?? '',
            profileId,
            groups: payload.groups,
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
        const { firstName, lastName, email, avatar } = payload;
        const input = {
          profileId: requireId(payload.profileId, 'payload.profileId'),
          firstName,
          lastName,
          email,
          avatar,
          properties,
        };
        return async (projectId) => {
          await profiles.identify(projectId, input, { select: { id: true } });
        };
      }
      case 'group': {
        const input = {
          id: requireId(payload.id ?? '', 'payload.id'),
          type: payload.type,
          name: payload.name,
          properties,
        };
        return async (projectId) => {
          await groups.upsert(projectId, input, { select: { id: true } });
        };
      }
      case 'assign_group': {
        const { groupIds } = payload;
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
        const property = payload.property ?? '';
        const by = type === 'increment' ? payload.value : -payload.value;
        return async (projectId, deviceId) => {
          await profiles.incrementProperty(projectId, profileId ?? deviceId, property, by, 'payload');
        };
      }
    }
  }
}
