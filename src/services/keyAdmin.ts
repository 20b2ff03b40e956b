import { hashSecret, newClientId, newClientSecret } from '../auth/secrets.ts';
import type { MigrationConnection } from '../db/migrator.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import {
  isMode,
  MODES,
  normalizeOrigin,
  ORIGIN_SQL,
  parseOrigin,
  requireProjectId,
  type CreatedKey,
  type KeyAdmin,
  type KeyInfo,
  type Mode,
} from './keys.ts';

/**
 * KeyService's administration (create, list, revoke, origins) over one plain SQL
 * connection, for the `keys` and `origins` commands: the same rules and the same
 * statements' effects, without loading the Prisma client (see db/sqlSession.ts).
 */
export class SqlKeyAdmin implements KeyAdmin {
  constructor(private readonly sql: Pick<MigrationConnection, 'query'>) {}

  async create(projectId: string, mode: Mode, name?: string): Promise<CreatedKey> {
    if (!isMode(mode)) throw new ValidationError('mode', `must be one of ${MODES.join(', ')}`);
    requireProjectId(projectId);
    await this.sql.query('INSERT INTO "Project" ("id") VALUES ($1) ON CONFLICT ("id") DO NOTHING', [projectId]);
    const clientId = newClientId();
    const clientSecret = newClientSecret();
    await this.sql.query(
      'INSERT INTO "ApiClient" ("projectId", "id", "secretHash", "mode", "name") VALUES ($1, $2, $3, $4::"ApiClientMode", $5)',
      [projectId, clientId, await hashSecret(clientSecret), mode, name ?? null],
    );
    return { projectId, clientId, clientSecret, mode };
  }

  async list(projectId?: string): Promise<KeyInfo[]> {
    const columns = 'SELECT "projectId", "id" AS "clientId", "mode"::text AS "mode", "name", "createdAt", "revokedAt"';
    const rows = projectId
      ? await this.sql.query<KeyInfo>(
          `${columns} FROM "ApiClient" WHERE "projectId" = $1 ORDER BY "projectId", "createdAt"`,
          [projectId],
        )
      : await this.sql.query<KeyInfo>(`${columns} FROM "ApiClient" ORDER BY "projectId", "createdAt"`);
    return rows.map((r) => ({
      ...r,
      createdAt: new Date(r.createdAt),
      revokedAt: r.revokedAt && new Date(r.revokedAt),
    }));
  }

  async revoke(clientId: string): Promise<void> {
    const rows = await this.sql.query(
      'UPDATE "ApiClient" SET "revokedAt" = $2 WHERE "id" = $1 AND "revokedAt" IS NULL RETURNING "id"',
      [clientId, new Date()],
    );
    if (rows.length === 0) throw new NotFoundError('Active API client', clientId);
  }

  async allowedOrigins(projectId: string): Promise<string[]> {
    const [project] = await this.sql.query<{ allowedOrigins: string[] }>(
      'SELECT "allowedOrigins" FROM "Project" WHERE "id" = $1',
      [projectId],
    );
    if (!project) throw new NotFoundError('Project', projectId);
    return project.allowedOrigins;
  }

  async addAllowedOrigins(projectId: string, origins: readonly string[]): Promise<string[]> {
    const added = origins.map((o, i) => parseOrigin(o, `origins[${i}]`));
    const [row] = await this.sql.query<{ allowedOrigins: string[] }>(ORIGIN_SQL.add, [added, projectId]);
    if (!row) throw new NotFoundError('Project', projectId);
    return row.allowedOrigins;
  }

  async removeAllowedOrigins(projectId: string, origins: readonly string[]): Promise<string[]> {
    const removed = origins.map((o) => normalizeOrigin(o));
    const [row] = await this.sql.query<{ allowedOrigins: string[] }>(ORIGIN_SQL.remove, [removed, projectId]);
    if (!row) throw new NotFoundError('Project', projectId);
    return row.allowedOrigins;
  }
}
