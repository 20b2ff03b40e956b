import type { PrismaClient } from '../../../generated/prisma/client.ts';
import { CohortService } from '../../cohorts/service.ts';
import { BucketBoundaries } from '../boundaries.ts';
import type { EventFilter } from '../filter.ts';
import {
  answerLifecycle,
  answerRetention,
  answerStickiness,
  type LifecycleAnswer,
  type RetentionAnswer,
  type StickinessAnswer,
} from './bucketed.ts';
import { answerFunnel, type FunnelAnswer } from './funnel.ts';
import {
  validateFunnel,
  validateLifecycle,
  validateRetention,
  validateStickiness,
  type FunnelInput,
  type LifecycleInput,
  type RetentionInput,
  type StickinessInput,
  type UnitChoice,
} from './input.ts';

/** `now`: the instant cohorts are evaluated at (their `lastDays` windows end there); retention also decides which periods are complete by it. */
export interface AnalysisOptions {
  now?: Date;
}

/**
 * Account-level analysis: funnels, retention, lifecycle and stickiness, with a
 * profile or a group of one type as the unit. Each validates its input
 * (input.ts), loads the cohorts it names (the input's `cohortId`, which keeps
 * units, and the filter's, which keeps events), reads per-unit activity
 * (sql.ts, from the events or the daily activity rows: source.ts) and counts
 * with the pure computations.
 */
export class AccountAnalysisService {
  private readonly boundaries: BucketBoundaries;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly cohorts: CohortService = new CohortService(prisma),
  ) {
    this.boundaries = new BucketBoundaries(prisma);
  }

  /** The question with its cohorts loaded; VALIDATION_FAILED for an unknown one or one whose unit or group type does not fit. */
  private async resolve<Q extends UnitChoice & { filter: EventFilter }>(
    projectId: string,
    q: Q,
    now: Date,
  ): Promise<Q> {
    const filter = await this.cohorts.resolveFilter(projectId, q.filter, 'input.filter', now);
    const cohort =
      q.cohortId == null
        ? null
        : await this.cohorts.resolve(
            projectId,
            q.cohortId,
            'input.cohortId',
            { unit: q.unit, groupType: q.groupType },
            now,
          );
    return { ...q, filter, cohort };
  }

  async funnel(projectId: string, input: FunnelInput, options: AnalysisOptions = {}): Promise<FunnelAnswer> {
    const q = await this.resolve(projectId, validateFunnel(input), options.now ?? new Date());
    return answerFunnel(this.prisma, projectId, q);
  }

  async retention(projectId: string, input: RetentionInput, options: AnalysisOptions = {}): Promise<RetentionAnswer> {
    const now = options.now ?? new Date();
    const q = await this.resolve(projectId, validateRetention(input), now);
    return answerRetention(this.prisma, this.boundaries, projectId, q, now);
  }

  async lifecycle(projectId: string, input: LifecycleInput, options: AnalysisOptions = {}): Promise<LifecycleAnswer> {
    const q = await this.resolve(projectId, validateLifecycle(input), options.now ?? new Date());
    return answerLifecycle(this.prisma, this.boundaries, projectId, q);
  }

  async stickiness(
    projectId: string,
    input: StickinessInput,
    options: AnalysisOptions = {},
  ): Promise<StickinessAnswer> {
    const q = await this.resolve(projectId, validateStickiness(input), options.now ?? new Date());
    return answerStickiness(this.prisma, this.boundaries, projectId, q);
  }
}
