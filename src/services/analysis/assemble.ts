import type { Plan } from './plan.ts';
import type { AggregationMetric, Question } from './question.ts';
import { SERIES_COUNT_ROW, type AggregationRow } from './sql.ts';

// The answer: the statement's rows (sql.ts) as series, every bucket present.

export interface AggregationPoint {
  bucket: Date;
  value: number;
}

export interface AggregationSeries {
  /** Group id, group type, property value or event name; null for the series without one. */
  key: string | null;
  label: string;
  total: number;
  /** With compareTo: the total over the equal-length period just before `from`; otherwise null. */
  previousTotal: number | null;
  /** With compareTo: (total - previousTotal) * 100 / previousTotal; null without one or when previousTotal is 0. */
  changePercent: number | null;
  points: AggregationPoint[];
}

export interface AggregationResult {
  series: AggregationSeries[];
  buckets: Date[];
  /** How many series the question has before offset and limit (1 without breakdown). */
  seriesCount: number;
}

const METRIC_LABELS: Record<AggregationMetric, string> = {
  EVENTS: 'Events',
  UNIQUE_PROFILES: 'Unique profiles',
  UNIQUE_GROUPS: 'Unique groups',
};

function seriesLabel(q: Question, key: string | null, name: string | null): string {
  switch (q.breakdown) {
    case null:
      return METRIC_LABELS[q.metric];
    case 'GROUP':
      return key === null ? '(no group)' : (name ?? key);
    case 'GROUP_TYPE':
      return key ?? '(no type)';
    case 'GROUP_PROPERTY':
      return key ?? '(not set)';
    case 'EVENT_NAME':
      return key ?? '(none)';
    case 'PROFILE':
      return key === null ? '(anonymous)' : (name ?? key);
    case 'EVENT_PROPERTY':
      return key ?? '(not set)';
  }
}

/** The change against the previous period, as the statement ranks by it (sql.ts, rankSql). */
export function changePercent(total: number, previous: number | null): number | null {
  return previous === null || previous === 0 ? null : ((total - previous) * 100) / previous;
}

/** Byte order of UTF-8 (PostgreSQL's "C" collation), nulls last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The series order of a question: by total or change, in its direction, a
 * missing change last either way, ties by key in byte order (nulls last).
 */
export function compareSeries(
  q: Pick<Question, 'order' | 'orderBy'>,
): (a: Pick<AggregationSeries, 'key' | 'total' | 'changePercent'>, b: typeof a) => number {
  const sign = q.order === 'ASC' ? 1 : -1;
  return (a, b) => {
    const ra = q.orderBy === 'CHANGE_PERCENT' ? a.changePercent : a.total;
    const rb = q.orderBy === 'CHANGE_PERCENT' ? b.changePercent : b.total;
    if (ra !== rb) {
      if (ra === null) return 1;
      if (rb === null) return -1;
      return sign * (ra - rb);
    }
    return compareKeys(a.key, b.key);
  };
}

/** Rows → series in the question's order, every bucket present. Points are indexed by base bucket (window 1) or output (rolling). */
export function assemble(plan: Plan, rows: AggregationRow[]): AggregationResult {
  const q = plan.question;
  const series: AggregationSeries[] = [];
  const byKey = new Map<string | null, Map<number, number>>();
  let seriesCount = 0;
  for (const row of rows) {
    if (row.i === SERIES_COUNT_ROW) seriesCount = row.v ?? 0;
    else if (row.i === null) {
      const total = row.total ?? 0;
      series.push({
        key: row.key,
        label: seriesLabel(q, row.key, row.label),
        total,
        previousTotal: row.previous,
        changePercent: changePercent(total, row.previous),
        points: [],
      });
      byKey.set(row.key, new Map());
    }
  }
  for (const row of rows) if (row.i !== null && row.i !== SERIES_COUNT_ROW) byKey.get(row.key)?.set(row.i, row.v ?? 0);
  const ordinalOf = plan.window === 1 ? (i: number) => plan.outputs[i]! : (i: number) => i + 1;
  for (const s of series) {
    const values = byKey.get(s.key)!;
    s.points = plan.labels.map((bucket, i) => ({ bucket, value: values.get(ordinalOf(i)) ?? 0 }));
  }
  series.sort(compareSeries(q));
  // Without breakdown there is always one series, zeros when nothing happened.
  if (q.breakdown === null) {
    if (series.length === 0 && q.offset === 0) {
      series.push({
        key: null,
        label: seriesLabel(q, null, null),
        total: 0,
        previousTotal: plan.previousEnd ? 0 : null,
        changePercent: null,
        points: plan.labels.map((bucket) => ({ bucket, value: 0 })),
      });
    }
    seriesCount = 1;
  }
  return { series, buckets: plan.labels, seriesCount };
}
