// Time ranges a page offers, as the reader's local calendar sees them: "last 30
// days" starts at midnight 29 days ago, so the first daily bucket is whole.
import type { AggregationInterval } from '../sdk/generated/operations.ts';

export const RANGES = ['24h', '7d', '30d', '90d', '365d'] as const;
export type Range = (typeof RANGES)[number];

export const RANGE_LABELS: Record<Range, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  '365d': 'Last 12 months',
};

export const INTERVALS: readonly AggregationInterval[] = ['HOUR', 'DAY', 'WEEK', 'MONTH'];

export const INTERVAL_LABELS: Record<AggregationInterval, string> = {
  HOUR: 'Hour',
  DAY: 'Day',
  WEEK: 'Week',
  MONTH: 'Month',
};

/** The intervals that give a readable number of buckets for the range. */
export function intervalsFor(range: Range): AggregationInterval[] {
  switch (range) {
    case '24h':
      return ['HOUR'];
    case '7d':
      return ['HOUR', 'DAY'];
    case '30d':
      return ['DAY', 'WEEK'];
    default:
      return ['DAY', 'WEEK', 'MONTH'];
  }
}

export function defaultInterval(range: Range): AggregationInterval {
  return range === '24h' ? 'HOUR' : range === '365d' ? 'WEEK' : 'DAY';
}

/** Local midnight `days - 1` days before `now`: the start of a range of `days` whole days. */
export function daysAgo(days: number, now = new Date()): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
}

export function rangeStart(range: Range, now = new Date()): Date {
  if (range === '24h') {
    const hour = new Date(now);
    hour.setMinutes(0, 0, 0);
    return new Date(hour.getTime() - 23 * 3600 * 1000);
  }
  return daysAgo(Number.parseInt(range, 10), now);
}
