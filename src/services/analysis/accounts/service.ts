import type { PrismaClient } from '../../../generated/prisma/client.ts';
import { BucketBoundaries } from '../boundaries.ts';
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
} from './input.ts';

/**
 * Account-level analysis: funnels, retention, lifecycle and stickiness, with a
 * profile or a group of one type as the unit. Each validates its input
 * (input.ts), reads per-unit activity (sql.ts, from the events or the daily
 * activity rows: source.ts) and counts with the pure computations.
 */
export class AccountAnalysisService {
  private readonly boundaries: BucketBoundaries;

  constructor(private readonly prisma: PrismaClient) {
    this.boundaries = new BucketBoundaries(prisma);
  }

  async funnel(projectId: string, input: FunnelInput): Promise<FunnelAnswer> {
    return answerFunnel(this.prisma, projectId, validateFunnel(input));
  }

  /** `now` decides which periods are complete. */
  async retention(projectId: string, input: RetentionInput, options: { now?: Date } = {}): Promise<RetentionAnswer> {
    return answerRetention(
      this.prisma,
      this.boundaries,
      projectId,
      validateRetention(input),
      options.now ?? new Date(),
    );
  }

  async lifecycle(projectId: string, input: LifecycleInput): Promise<LifecycleAnswer> {
    return answerLifecycle(this.prisma, this.boundaries, projectId, validateLifecycle(input));
  }

  async stickiness(projectId: string, input: StickinessInput): Promise<StickinessAnswer> {
    return answerStickiness(this.prisma, this.boundaries, projectId, validateStickiness(input));
  }
}
