import type { Plan } from './plan.ts';
import type { AggregationMetric, Question } from './question.ts';
import type { AggregationRow } from './sql.ts';

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
  points: AggregationPoint[];
}

export interface AggregationResult {
  series: AggregationSeries[];
  buckets: Date[];
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
  }
}

/** Byte order of UTF-8 (PostgreSQL's "C" collation), nulls last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Rows → series in total order, every bucket present. Points are indexed by base bucket (window 1) or output (rolling). */
export function assemble(plan: Plan, rows: AggregationRow[]): AggregationResult {
  const q = plan.question;
  const series: AggregationSeries[] = [];
  const byKey = new Map<string | null, Map<number, number>>();
  for (const row of rows) {
    if (row.i === null) {
      series.push({ key: row.key, label: seriesLabel(q, row.key, row.label), total: row.total ?? 0, points: [] });
      byKey.set(row.key, new Map());
    }
  }
  for (const row of rows) if (row.i !== null) byKey.get(row.key)?.set(row.i, row.v ?? 0);
  const ordinalOf = plan.window === 1 ? (i: number) => plan.outputs[i]! : (i: number) => i + 1;
  for (const s of series) {
    const values = byKey.get(s.key)!;
    s.points = plan.labels.map((bucket, i) => ({ bucket, value: values.get(ordinalOf(i)) ?? 0 }));
  }
  series.sort((a, b) => b.total - a.total || compareKeys(a.key, b.key));
  if (series.length === 0 && q.breakdown === null) {
    series.push({
      key: null,
      label: seriesLabel(q, null, null),
      total: 0,
      points: plan.labels.map((bucket) => ({ bucket, value: 0 })),
    });
  }
  return { series, buckets: plan.labels };
}
