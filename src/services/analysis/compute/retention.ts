import type { UnitBuckets } from './unitBuckets.ts';

export type RetentionCriteria = 'ON' | 'ON_OR_AFTER';

export interface RetentionActivity {
  /**
   * Per unit, the cohorts it joins: FIRST_TIME the one bucket of its first-ever
   * start event (when that event is in range), RECURRING every bucket with a
   * start event. Buckets outside [0, cohorts) are ignored.
   */
  readonly cohorts: UnitBuckets;
  /** Per unit, the buckets with a return event, any bucket index. */
  readonly returns: UnitBuckets;
}

export interface RetentionShape {
  /** Buckets of the range: cohort c is bucket c. */
  cohorts: number;
  periods: number;
  criteria: RetentionCriteria;
  /** Buckets 0 … endedBuckets − 1 have ended by now. */
  endedBuckets: number;
}

export interface RetentionCohortCounts {
  size: number;
  values: number[];
  fractions: number[];
  complete: boolean[];
}

export interface RetentionCounts {
  cohorts: RetentionCohortCounts[];
  average: (number | null)[];
}

/** First index in [lo, hi) of the ascending `list` holding a value > `value`. */
function firstAbove(list: Int32Array, lo: number, hi: number, value: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function computeRetention(activity: RetentionActivity, shape: RetentionShape): RetentionCounts {
  const { cohorts, returns } = activity;
  const { periods, criteria, endedBuckets } = shape;
  // counts[c * width + k]; with ON_OR_AFTER a difference array over k first (a unit returning
  // up to bucket c + reach counts in periods 1 … reach), summed afterwards, hence one spare cell a row.
  const width = periods + 2;
  const counts = new Float64Array(shape.cohorts * width);
  const units = cohorts.start.length - 1;
  for (let u = 0; u < units; u++) {
    const r0 = returns.start[u]!;
    const r1 = returns.start[u + 1]!;
    for (let i = cohorts.start[u]!; i < cohorts.start[u + 1]!; i++) {
      const c = cohorts.buckets[i]!;
      if (c < 0 || c >= shape.cohorts) continue;
      const row = c * width;
      counts[row]!++;
      if (criteria === 'ON') {
        for (let j = firstAbove(returns.buckets, r0, r1, c); j < r1 && returns.buckets[j]! <= c + periods; j++) {
          counts[row + returns.buckets[j]! - c]!++;
        }
      } else if (r1 > r0) {
        const reach = Math.min(periods, returns.buckets[r1 - 1]! - c);
        if (reach >= 1) {
          counts[row + 1]!++;
          counts[row + reach + 1]!--;
        }
      }
    }
  }
  const result: RetentionCohortCounts[] = [];
  for (let c = 0; c < shape.cohorts; c++) {
    const row = c * width;
    const size = counts[row]!;
    const values = [size];
    let running = 0;
    for (let k = 1; k <= periods; k++) {
      running = criteria === 'ON' ? counts[row + k]! : running + counts[row + k]!;
      values.push(running);
    }
    result.push({
      size,
      values,
      fractions: values.map((v) => (size === 0 ? 0 : v / size)),
      complete: values.map((_, k) => c + k < endedBuckets),
    });
  }
  const average = Array.from({ length: periods + 1 }, (_, k) => {
    let returned = 0;
    let size = 0;
    for (const cohort of result) {
      if (!cohort.complete[k] || cohort.size === 0) continue;
      returned += cohort.values[k]!;
      size += cohort.size;
    }
    return size === 0 ? null : returned / size;
  });
  return { cohorts: result, average };
}
