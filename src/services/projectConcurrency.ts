import { AppError } from './errors.ts';

/**
 * At most `limit` pieces of heavy work (analysis queries) per project at once.
 * One project's burst of aggregations would otherwise hold every pooled
 * database connection and starve the other projects; with a per-project share,
 * the rest of the pool stays free for them. Work beyond the share waits its
 * turn, in order, for up to `maxWaitMs`, then fails with RATE_LIMITED and a
 * Retry-After — the client's own project is told to slow down, nobody else is.
 */
export class ProjectConcurrency {
  private readonly running = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(
    readonly limit: number,
    private readonly maxWaitMs = 5_000,
  ) {}

  async run<T>(projectId: string, work: () => Promise<T>): Promise<T> {
    await this.acquire(projectId);
    try {
      return await work();
    } finally {
      this.release(projectId);
    }
  }

  private async acquire(projectId: string): Promise<void> {
    const running = this.running.get(projectId) ?? 0;
    if (running < this.limit) {
      this.running.set(projectId, running + 1);
      return;
    }
    const queue = this.waiting.get(projectId) ?? [];
    this.waiting.set(projectId, queue);
    await new Promise<void>((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(turn), 1);
        if (queue.length === 0) this.waiting.delete(projectId);
        reject(
          new AppError(
            'RATE_LIMITED',
            `This project already runs ${this.limit} analysis queries at once (ANALYSIS_CONCURRENCY_PER_PROJECT); retry in 1 s.`,
            { retryAfterSeconds: 1 },
          ),
        );
      }, this.maxWaitMs);
      queue.push(turn);
    });
  }

  /** Hands the slot to the next waiter of the project, or frees it. */
  private release(projectId: string): void {
    const queue = this.waiting.get(projectId);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.waiting.delete(projectId);
    if (next) return next();
    const running = (this.running.get(projectId) ?? 1) - 1;
    if (running > 0) this.running.set(projectId, running);
    else this.running.delete(projectId);
  }
}
