import type { PrismaClient } from '../../generated/prisma/client.ts';
import { CohortService } from '../cohorts/service.ts';
import { assemble, type AggregationResult } from './assemble.ts';
import { BucketBoundaries } from './boundaries.ts';
import { planQuestion, type Plan } from './plan.ts';
import { totalInput, validateQuestion, type AggregationInput, type Question } from './question.ts';
import { aggregationSql, type AggregationRow } from './sql.ts';
import type { ProjectConcurrency } from '../projectConcurrency.ts';

/**
 * eventAggregation: events, unique profiles or unique groups per time bucket,
 * optionally broken down by group, group type, group property or event name.
 * Each step is one file of this folder, in the order below; docs/architecture.md
 * ("Read path") walks through them.
 */
export class AggregationService {
  private readonly boundaries: BucketBoundaries;
  private readonly cohorts: CohortService;

  constructor(
    private readonly prisma: PrismaClient,
    /** Each project's share of concurrent analysis queries; unlimited when absent. */
    private readonly concurrency?: ProjectConcurrency,
  ) {
    this.boundaries = new BucketBoundaries(prisma);
    this.cohorts = new CohortService(prisma);
  }

  /** eventAggregation(input). `now` is the default end of the range. */
  async aggregate(
    projectId: string,
    input: AggregationInput,
    options: { now?: Date } = {},
  ): Promise<AggregationResult> {
    const question = validateQuestion(input, 'input.', options.now);
    const filter = await this.cohorts.resolveFilter(projectId, question.filter, 'input.filter');
    return this.answer(projectId, { ...question, filter });
  }

  /** Answers a validated question. */
  async answer(projectId: string, question: Question): Promise<AggregationResult> {
    const plan = await this.plan(question);
    const run = () =>
      this.prisma.$transaction([
        // The planner's pessimistic estimates for these CTE pipelines would otherwise
        // make PostgreSQL spend longer JIT-compiling than the query takes to run.
        this.prisma.$executeRaw`SET LOCAL jit = off`,
        this.prisma.$queryRaw<AggregationRow[]>(aggregationSql(projectId, plan)),
      ]);
    const [, rows] = await (this.concurrency ? this.concurrency.run(projectId, run) : run());
    return assemble(plan, rows);
  }

  /**
   * The plan of a validated question (its buckets from PostgreSQL, the rest
   * pure); reads no events.
   */
  async plan(question: Question): Promise<Plan> {
    await this.boundaries.checkTimezone(question.timezone, `${question.fieldPrefix}timezone`);
    const boundaries = question.interval
      ? await this.boundaries.list(
          question.interval,
          question.timezone,
          question.from,
          question.to,
          question.rolling - 1,
        )
      : null;
    return planQuestion(question, boundaries);
  }

  /** The metric over the whole range without breakdown: an event with two groups counts once. */
  async total(projectId: string, input: AggregationInput): Promise<number> {
    const result = await this.aggregate(projectId, totalInput(input));
    return result.series[0]?.total ?? 0;
  }
}
