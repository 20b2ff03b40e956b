import { Prisma, type PrismaClient, type Profile } from '../generated/prisma/client.ts';
import { ValidationError } from './errors.ts';
import { optionalId, optionalText, requireId, requireName, requireProperties, splitPatch } from './validation.ts';

export interface IdentifyInput {
  profileId: string;
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  avatar?: string | null;
  properties?: unknown;
}

export interface ProfileListFilter {
  search?: string | null;
  groupId?: string | null;
}

export type ProfileQuery = Omit<Prisma.ProfileFindUniqueArgs, 'where'>;
export type ProfileListQuery = Omit<Prisma.ProfileFindManyArgs, 'where' | 'orderBy'>;

/** People: identify (create or merge) and lookups. */
export class ProfileService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Creates or merges a profile in one statement: given names/email/avatar replace
   * the stored ones (omitted keep them), properties merge shallowly and a key sent
   * as null is removed, as for groups.
   */
  async identify(projectId: string, input: IdentifyInput, query: ProfileQuery = {}): Promise<Profile> {
    const id = requireId(input.profileId, 'input.profileId');
    const firstName = optionalText(input.firstName, 'input.firstName', 200);
    const lastName = optionalText(input.lastName, 'input.lastName', 200);
    const email = optionalText(input.email, 'input.email', 320);
    const avatar = optionalText(input.avatar, 'input.avatar', 2000);
    const { set, remove } = splitPatch(requireProperties(input.properties, 'input.properties'));
    await this.prisma.$executeRaw`
      INSERT INTO "Profile" ("projectId", "id", "firstName", "lastName", "email", "avatar", "properties")
      VALUES (${projectId}, ${id}, ${firstName}, ${lastName}, ${email}, ${avatar}, ${JSON.stringify(set)}::jsonb)
      ON CONFLICT ("projectId", "id") DO UPDATE SET
        "firstName" = COALESCE(EXCLUDED."firstName", "Profile"."firstName"),
        "lastName" = COALESCE(EXCLUDED."lastName", "Profile"."lastName"),
        "email" = COALESCE(EXCLUDED."email", "Profile"."email"),
        "avatar" = COALESCE(EXCLUDED."avatar", "Profile"."avatar"),
        "properties" = ("Profile"."properties" - ${remove}::text[]) || EXCLUDED."properties",
        "updatedAt" = now()`;
    return this.prisma.profile.findUniqueOrThrow({ ...query, where: { projectId_id: { projectId, id } } });
  }

  find(projectId: string, id: string, query: ProfileQuery = {}): Promise<Profile | null> {
    requireId(id, 'id');
    return this.prisma.profile.findUnique({ ...query, where: { projectId_id: { projectId, id } } });
  }

  /** Newest first; search matches id, email and names (case-insensitive); groupId: current members. */
  list(projectId: string, filter: ProfileListFilter, query: ProfileListQuery): Promise<Profile[]> {
    const search = optionalText(filter.search, 'search', 200)?.trim();
    optionalId(filter.groupId, 'groupId');
    const contains = search ? { contains: search, mode: 'insensitive' as const } : undefined;
    return this.prisma.profile.findMany({
      ...query,
      where: {
        projectId,
        ...(contains && {
          OR: [{ id: contains }, { email: contains }, { firstName: contains }, { lastName: contains }],
        }),
        ...(filter.groupId != null && { memberships: { some: { groupId: filter.groupId, leftAt: null } } }),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
  }

  /** Profiles by id, for DataLoaders; missing ids are absent. */
  findMany(projectId: string, ids: readonly string[]): Promise<Profile[]> {
    return this.prisma.profile.findMany({ where: { projectId, id: { in: [...ids] } } });
  }

  /**
   * Adds `by` (negative to decrement) to a numeric top-level property in one
   * statement, so concurrent increments never lose each other; a missing
   * profile or property starts from 0. A property holding anything but a number
   * (or null) is left alone and refused. Returns the new value.
   */
  async incrementProperty(
    projectId: string,
    profileId: string,
    property: string,
    by: number,
    field = 'input',
  ): Promise<number> {
    const id = requireId(profileId, `${field}.profileId`);
    const key = requireName(property, `${field}.property`);
    if (typeof by !== 'number' || !Number.isFinite(by)) {
      throw new ValidationError(`${field}.value`, 'must be a finite number');
    }
    const rows = await this.prisma.$queryRaw<{ value: string }[]>`
      INSERT INTO "Profile" AS p ("projectId", "id", "properties")
      VALUES (${projectId}, ${id}, jsonb_build_object(${key}::text, ${by}::numeric))
      ON CONFLICT ("projectId", "id") DO UPDATE SET
        "properties" = p."properties" || jsonb_build_object(
          ${key}::text, COALESCE((p."properties" ->> ${key}::text)::numeric, 0) + ${by}::numeric),
        "updatedAt" = now()
      WHERE COALESCE(jsonb_typeof(p."properties" -> ${key}::text), 'null') IN ('number', 'null')
      RETURNING "properties" ->> ${key}::text AS "value"`;
    if (rows.length === 0)
      throw new ValidationError(`${field}.property`, `"${key}" holds a value that is not a number`);
    return Number(rows[0]!.value);
  }
}
