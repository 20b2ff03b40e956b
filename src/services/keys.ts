import type { PrismaClient } from '../generated/prisma/client.ts';
import { hashSecret, isRememberedSecret, newClientId, newClientSecret, verifySecret } from '../auth/secrets.ts';
import { NotFoundError, UnauthenticatedError, ValidationError } from './errors.ts';

export const MODES = ['write', 'read', 'root'] as const;
export type Mode = (typeof MODES)[number];

export interface CreatedKey {
  projectId: string;
  clientId: string;
  clientSecret: string;
  mode: Mode;
}

export interface KeyInfo {
  projectId: string;
  clientId: string;
  mode: Mode;
  name: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface Principal {
  projectId: string;
  clientId: string;
  mode: Mode;
}

const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isMode(value: string): value is Mode {
  return (MODES as readonly string[]).includes(value);
}

/** Throws VALIDATION_FAILED unless `projectId` is usable as a new project's id. */
export function requireProjectId(projectId: string): void {
  if (!PROJECT_ID.test(projectId)) {
    throw new ValidationError('project', 'use 1-64 letters, digits, "_", "-" or ".", starting with a letter or digit');
  }
}

/**
 * Key and origin administration, as the `keys` and `origins` commands use it:
 * KeyService over the Prisma client, or SqlKeyAdmin (keyAdmin.ts) over plain SQL.
 */
export interface KeyAdmin {
  create(projectId: string, mode: Mode, name?: string): Promise<CreatedKey>;
  list(projectId?: string): Promise<KeyInfo[]>;
  revoke(clientId: string): Promise<void>;
  allowedOrigins(projectId: string): Promise<string[]>;
  addAllowedOrigins(projectId: string, origins: readonly string[]): Promise<string[]>;
  removeAllowedOrigins(projectId: string, origins: readonly string[]): Promise<string[]>;
}

/** The statements that edit a project's origins ($1 the origins, $2 the project), shared by both KeyAdmins. */
export const ORIGIN_SQL = {
  add: `UPDATE "Project" SET "allowedOrigins" = ARRAY(
        SELECT o FROM unnest("allowedOrigins" || $1::text[]) WITH ORDINALITY AS x(o, n) GROUP BY o ORDER BY min(n))
      WHERE "id" = $2 RETURNING "allowedOrigins"`,
  remove: `UPDATE "Project" SET "allowedOrigins" = ARRAY(
        SELECT o FROM unnest("allowedOrigins") WITH ORDINALITY AS x(o, n) WHERE NOT (o = ANY($1::text[])) ORDER BY n)
      WHERE "id" = $2 RETURNING "allowedOrigins"`,
};

/** Projects, API clients and the check of a presented credential. */
export class KeyService implements KeyAdmin {
  constructor(private readonly prisma: PrismaClient) {}

  async ensureProject(projectId: string): Promise<void> {
    requireProjectId(projectId);
    await this.prisma.project.upsert({ where: { id: projectId }, create: { id: projectId }, update: {} });
  }

  async projectCount(): Promise<number> {
    return this.prisma.project.count();
  }

  /** Creates the project when missing. The secret is returned here and never again. */
  async create(projectId: string, mode: Mode, name?: string): Promise<CreatedKey> {
    if (!isMode(mode)) throw new ValidationError('mode', `must be one of ${MODES.join(', ')}`);
    await this.ensureProject(projectId);
    const clientId = newClientId();
    const clientSecret = newClientSecret();
    await this.prisma.apiClient.create({
      data: { projectId, id: clientId, secretHash: await hashSecret(clientSecret), mode, name: name ?? null },
    });
    return { projectId, clientId, clientSecret, mode };
  }

  async list(projectId?: string): Promise<KeyInfo[]> {
    const rows = await this.prisma.apiClient.findMany({
      where: projectId ? { projectId } : {},
      orderBy: [{ projectId: 'asc' }, { createdAt: 'asc' }],
    });
    return rows.map((r) => ({
      projectId: r.projectId,
      clientId: r.id,
      mode: r.mode,
      name: r.name,
      createdAt: r.createdAt,
      revokedAt: r.revokedAt,
    }));
  }

  async revoke(clientId: string): Promise<void> {
    const { count } = await this.prisma.apiClient.updateMany({
      where: { id: clientId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) throw new NotFoundError('Active API client', clientId);
  }

  /**
   * Resolves a client id and secret to its project and mode, or throws
   * UNAUTHENTICATED. `beforeSlowCheck` runs (and may throw) before a secret is
   * checked the slow way, i.e. not yet verified by this process.
   */
  async authenticate(
    clientId: string,
    secret: string,
    hooks: { beforeSlowCheck?: () => Promise<void> } = {},
  ): Promise<Principal> {
    const row = await this.prisma.apiClient.findFirst({ where: { id: clientId } });
    // Verify against a dummy hash when the client is unknown so both paths cost the same.
    const stored = row?.secretHash ?? (await dummyHash());
    if (!isRememberedSecret(secret, stored)) await hooks.beforeSlowCheck?.();
    const ok = await verifySecret(secret, stored);
    if (!row || !ok || row.revokedAt) throw new UnauthenticatedError('Invalid client id or secret');
    return { projectId: row.projectId, clientId: row.id, mode: row.mode };
  }

  /**
   * A browser sending only its client id (no secret): accepted for a write key
   * when the request's Origin is one of the project's allowed origins.
   */
  async authenticateFromOrigin(clientId: string, origin: string | null): Promise<Principal> {
    if (!origin) {
      throw new UnauthenticatedError(
        'Missing openpanel-client-secret: only browsers on an allowed origin may send a client id alone',
      );
    }
    const client = await this.prisma.apiClient.findFirst({
      where: { id: clientId, revokedAt: null },
      select: { projectId: true, mode: true, project: { select: { allowedOrigins: true } } },
    });
    const wanted = normalizeOrigin(origin);
    if (
      !client ||
      client.mode !== 'write' ||
      !client.project.allowedOrigins.some((o) => normalizeOrigin(o) === wanted)
    ) {
      throw new UnauthenticatedError(
        `Origin ${origin} may not send with this client id and no secret (a write key, and the origin among the project's allowed origins, are needed)`,
      );
    }
    return { projectId: client.projectId, clientId, mode: client.mode };
  }

  /** The origins from which browsers may send with a write key's client id alone. */
  async allowedOrigins(projectId: string): Promise<string[]> {
    const project = await this.prisma.project.findUnique({
      where: { id: projectId },
      select: { allowedOrigins: true },
    });
    if (!project) throw new NotFoundError('Project', projectId);
    return project.allowedOrigins;
  }

  /** Adds origins (normalized, each once); returns the project's list. */
  async addAllowedOrigins(projectId: string, origins: readonly string[]): Promise<string[]> {
    const added = origins.map((o, i) => parseOrigin(o, `origins[${i}]`));
    const rows = await this.prisma.$queryRawUnsafe<{ allowedOrigins: string[] }[]>(ORIGIN_SQL.add, added, projectId);
    if (!rows[0]) throw new NotFoundError('Project', projectId);
    return rows[0].allowedOrigins;
  }

  /** Removes origins (compared normalized); returns the project's list. */
  async removeAllowedOrigins(projectId: string, origins: readonly string[]): Promise<string[]> {
    const removed = origins.map((o) => normalizeOrigin(o));
    const rows = await this.prisma.$queryRawUnsafe<{ allowedOrigins: string[] }[]>(
      ORIGIN_SQL.remove,
      removed,
      projectId,
    );
    if (!rows[0]) throw new NotFoundError('Project', projectId);
    return rows[0].allowedOrigins;
  }
}

// Made on first use, not when this module loads: every command imports it, and
// each scrypt run is costly on purpose.
let dummy: Promise<string> | undefined;
const dummyHash = () => (dummy ??= hashSecret(newClientSecret()));

/** Origins compare by scheme, host and port, case-insensitively, without a trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/**
 * An origin as browsers send it: http(s)://host[:port], nothing after. Stored
 * normalized (lower case, no trailing slash, no default port).
 */
export function parseOrigin(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ValidationError(field, `must be an origin such as https://app.example.com, got ${JSON.stringify(value)}`);
  }
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !bare || /[?#]/.test(value)) {
    throw new ValidationError(
      field,
      `must be an origin (scheme, host and port only) such as https://app.example.com, got ${JSON.stringify(value)}`,
    );
  }
  return url.origin;
}
