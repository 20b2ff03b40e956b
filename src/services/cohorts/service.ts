import { randomUUID } from 'node:crypto';

import { Prisma, type Cohort, type PrismaClient } from '../../generated/prisma/client.ts';
import type { EventFilter } from '../analysis/filter.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import {
  cursorText,
  cursorTime,
  decodeCursor,
  encodeCursor,
  pageSize,
  toPage,
  type Page,
  type PageArgs,
} from '../pagination.ts';
import { requireId } from '../validation.ts';
import {
  requireCohortFits,
  validateCohortInput,
  type AnalysisUnit,
  type CohortDefinition,
  type CohortInput,
} from './definition.ts';
import { cohortMembersSql, type ResolvedCohort } from './sql.ts';

/** A member of a cohort: a group or a profile id, by the cohort's unit. */
export interface CohortMember {
  id: string;
  unit: AnalysisUnit;
}

const listCursor = (c: Cohort) => encodeCursor([c.createdAt.toISOString(), c.id]);

/**
 * Saved cohorts: create, edit, delete, list, and evaluation (size, members, and
 * the resolution of a `cohortId` wherever one is accepted). Members are computed
 * on every read, never stored.
 */
export class CohortService {
  constructor(private readonly prisma: PrismaClient) {}

  async create(projectId: string, input: CohortInput): Promise<Cohort> {
    const { name, definition } = validateCohortInput(input);
    return this.prisma.cohort.create({
      data: {
        projectId,
        id: randomUUID(),
        name,
        unit: definition.unit,
        groupType: definition.groupType,
        definition: definition as unknown as Prisma.InputJsonObject,
      },
    });
  }

  async update(projectId: string, id: string, input: CohortInput): Promise<Cohort> {
    requireId(id, 'id');
    const { name, definition } = validateCohortInput(input);
    const { count } = await this.prisma.cohort.updateMany({
      where: { projectId, id },
      data: {
        name,
        unit: definition.unit,
        groupType: definition.groupType,
        definition: definition as unknown as Prisma.InputJsonObject,
      },
    });
    if (count === 0) throw new NotFoundError('Cohort', id);
    return this.prisma.cohort.findUniqueOrThrow({ where: { projectId_id: { projectId, id } } });
  }

  /** False when there was no such cohort. */
  async delete(projectId: string, id: string): Promise<boolean> {
    requireId(id, 'id');
    const { count } = await this.prisma.cohort.deleteMany({ where: { projectId, id } });
    return count > 0;
  }

  find(projectId: string, id: string): Promise<Cohort | null> {
    requireId(id, 'id');
    return this.prisma.cohort.findUnique({ where: { projectId_id: { projectId, id } } });
  }

  /** Newest first, keyset-paginated on (createdAt, id). */
  async list(projectId: string, args: PageArgs): Promise<Page<Cohort>> {
    const size = pageSize(args);
    const after = args.after ? decodeCursor(args.after, ['string', 'string']) : null;
    const afterTime = after ? cursorTime(after[0]!) : null;
    if (after) cursorText(after[1]!);
    const rows = await this.prisma.$queryRaw<Cohort[]>`
      SELECT * FROM "Cohort"
      WHERE "projectId" = ${projectId}
        ${after ? Prisma.sql`AND ("createdAt", "id") < (${afterTime}::timestamptz, ${after[1] as string})` : Prisma.empty}
      ORDER BY "createdAt" DESC, "id" DESC
      LIMIT ${size + 1}`;
    return toPage(rows, size, listCursor, after !== null);
  }

  /** A stored cohort ready to evaluate now. */
  evaluable(cohort: Cohort, now = new Date()): ResolvedCohort {
    return {
      projectId: cohort.projectId,
      id: cohort.id,
      definition: cohort.definition as unknown as CohortDefinition,
      now,
    };
  }

  /** How many units are in the cohort now. */
  async size(cohort: Cohort): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS "n" FROM (${cohortMembersSql(this.evaluable(cohort))}) c`;
    return row?.n ?? 0;
  }

  /** The members now, by id in byte order (a stable keyset). */
  async members(cohort: Cohort, args: PageArgs): Promise<Page<CohortMember>> {
    const size = pageSize(args);
    const after = args.after ? cursorText(decodeCursor(args.after, ['string'])[0]!) : null;
    const rows = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT c."id" FROM (${cohortMembersSql(this.evaluable(cohort))}) c
      ${after === null ? Prisma.empty : Prisma.sql`WHERE c."id" COLLATE "C" > ${after}`}
      ORDER BY c."id" COLLATE "C"
      LIMIT ${size + 1}`;
    const unit = cohort.unit as AnalysisUnit;
    return toPage(
      rows.map((r) => ({ id: r.id, unit })),
      size,
      (m) => encodeCursor([m.id]),
      after !== null,
    );
  }

  /**
   * Loads the cohort a `cohortId` argument names (`field` for errors), checking
   * that its unit and group type fit the use when `expected` is given. `now`
   * is the instant its `lastDays` windows end at.
   */
  async resolve(
    projectId: string,
    id: string,
    field: string,
    expected?: { unit: AnalysisUnit; groupType?: string | null },
    now = new Date(),
  ): Promise<ResolvedCohort> {
    requireId(id, field);
    const cohort = await this.prisma.cohort.findUnique({ where: { projectId_id: { projectId, id } } });
    if (!cohort) throw new ValidationError(field, `no cohort "${id}" in this project`);
    const resolved = this.evaluable(cohort, now);
    if (expected) requireCohortFits(resolved.definition, expected, field);
    return resolved;
  }

  /** The filter with its `cohortId` (if any) resolved, ready for the SQL builders. */
  async resolveFilter<F extends EventFilter | null | undefined>(
    projectId: string,
    filter: F,
    path = 'filter',
    now = new Date(),
  ): Promise<F> {
    if (filter?.cohortId == null) return filter;
    return { ...filter, cohort: await this.resolve(projectId, filter.cohortId, `${path}.cohortId`, undefined, now) };
  }
}
