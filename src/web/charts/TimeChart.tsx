// Time series with uPlot (small, canvas, made for time series), each chart with
// its text alternative: a one-line summary for screen readers and a "Show
// numbers" toggle that puts every value in a table.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { formatBucket, formatCount } from '../format.ts';

export interface ChartSeries {
  label: string;
  /** One value per bucket. */
  values: number[];
}

export const PALETTE = [
  '#2563eb',
  '#db2777',
  '#16a34a',
  '#ea580c',
  '#7c3aed',
  '#0891b2',
  '#ca8a04',
  '#dc2626',
  '#4b5563',
  '#65a30d',
];

/** "page_view: 1,234 in total, at most 56 (Nov 7, 2026)" for each series. */
export function summarize(buckets: string[], series: ChartSeries[], interval: string): string {
  if (buckets.length === 0 || series.length === 0) return 'No data in this range.';
  return series
    .map((s) => {
      const total = s.values.reduce((a, b) => a + b, 0);
      let peak = 0;
      s.values.forEach((v, i) => {
        if (v > (s.values[peak] ?? 0)) peak = i;
      });
      return `${s.label}: ${formatCount(total)} in total, at most ${formatCount(s.values[peak] ?? 0)} (${formatBucket(buckets[peak]!, interval)})`;
    })
    .join('; ');
}

export function NumbersTable(props: { caption: string; buckets: string[]; interval: string; series: ChartSeries[] }) {
  return (
    <div class="table-scroll">
      <table class="numbers">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Bucket</th>
            {props.series.map((s) => (
              <th scope="col" class="num">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.buckets.map((bucket, i) => (
            <tr key={bucket}>
              <th scope="row">{formatBucket(bucket, props.interval)}</th>
              {props.series.map((s) => (
                <td class="num">{formatCount(s.values[i] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface TimeChartProps {
  title: string;
  buckets: string[];
  interval: string;
  series: ChartSeries[];
  height?: number;
  /** Filled areas under lines (a single series reads better filled). */
  fill?: boolean;
}

export function TimeChart({ title, buckets, interval, series, height = 260, fill = false }: TimeChartProps) {
  const [showNumbers, setShowNumbers] = useState(false);
  const holder = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const dataKey = JSON.stringify([buckets, series]);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const data: uPlot.AlignedData = [buckets.map((b) => Date.parse(b) / 1000), ...series.map((s) => s.values)];
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height,
        series: [
          {},
          ...series.map((s, i) => {
            const color = PALETTE[i % PALETTE.length]!;
            return {
              label: s.label,
              stroke: color,
              width: 2,
              ...(fill ? { fill: `${color}22` } : {}),
              value: (_: uPlot, v: number | null) => (v == null ? '—' : formatCount(v)),
            };
          }),
        ],
        axes: [{}, { values: (_: uPlot, ticks: number[]) => ticks.map((t) => formatCount(t)) }],
        scales: { y: { range: (_: uPlot, min: number, max: number) => [0, Math.max(max, min, 1) * 1.1] } },
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 200), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [dataKey, height, fill]);

  return (
    <figure class="chart" aria-labelledby={titleId}>
      <figcaption>
        <h3 id={titleId}>{title}</h3>
        <button type="button" class="link" aria-pressed={showNumbers} onClick={() => setShowNumbers(!showNumbers)}>
          {showNumbers ? 'Hide numbers' : 'Show numbers'}
        </button>
      </figcaption>
      <div
        ref={holder}
        class="chart-canvas"
        role="img"
        aria-label={`${title}. ${summarize(buckets, series, interval)}`}
      />
      {showNumbers && <NumbersTable caption={title} buckets={buckets} interval={interval} series={series} />}
    </figure>
  );
}

/** A 30-day activity line in a table cell; its label says what it shows. */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const holder = useRef<HTMLSpanElement>(null);
  const key = values.join(',');
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const plot = new uPlot(
      {
        width: 120,
        height: 28,
        pxAlign: false,
        cursor: { show: false },
        legend: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: false }, y: { range: (_: uPlot, _min: number, max: number) => [0, Math.max(max, 1)] } },
        series: [{}, { stroke: PALETTE[0], fill: `${PALETTE[0]}22`, width: 1.5, points: { show: false } }],
      },
      [values.map((_, i) => i), values],
      element,
    );
    return () => plot.destroy();
  }, [key]);
  return <span ref={holder} class="sparkline" role="img" aria-label={label} title={label} />;
}
