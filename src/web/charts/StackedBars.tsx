// Stacked bars over time with uPlot, for series that stack upward (new,
// returning, resurrecting) and one that hangs below zero (dormant). uPlot draws
// series in order, each bar from zero; so the upward series are drawn as running
// sums, largest first, each later one painting its part over the earlier. The
// legend and the numbers table show each series' own values.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';

import { formatCount } from '../format.ts';
import { NumbersTable, summarize, type ChartSeries } from './TimeChart.tsx';

export interface StackedSeries extends ChartSeries {
  color: string;
  /** Drawn below zero (the values stay positive in the legend and the table). */
  below?: boolean;
}

export function StackedBars(props: {
  title: string;
  buckets: string[];
  interval: string;
  series: StackedSeries[];
  height?: number;
}) {
  const { title, buckets, interval, series, height = 300 } = props;
  const [showNumbers, setShowNumbers] = useState(false);
  const holder = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const dataKey = JSON.stringify([buckets, series]);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const upward = series.filter((s) => !s.below);
    const sums = upward.map((_, i) =>
      buckets.map((_, b) => upward.slice(0, i + 1).reduce((sum, s) => sum + (s.values[b] ?? 0), 0)),
    );
    // Tallest running sum first, so each shorter one is painted over it.
    const drawn = [
      ...upward.map((s, i) => ({ source: s, values: sums[i]! })).reverse(),
      ...series.filter((s) => s.below).map((s) => ({ source: s, values: s.values.map((v) => -v) })),
    ];
    const bars = uPlot.paths.bars!({ size: [0.7, 48] });
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height,
        series: [
          {},
          ...drawn.map(({ source }) => ({
            label: source.label,
            stroke: source.color,
            fill: source.color,
            width: 0,
            paths: bars,
            points: { show: false },
            // The legend shows the series' own count, not the running sum drawn.
            value: (_: uPlot, _v: number | null, _s: number, index: number | null) =>
              index == null ? '—' : formatCount(source.values[index] ?? 0),
          })),
        ],
        axes: [{}, { values: (_: uPlot, ticks: number[]) => ticks.map((t) => formatCount(t)) }],
        scales: {
          y: {
            range: (_: uPlot, min: number, max: number) => [Math.min(min, 0) * 1.1, Math.max(max, 1) * 1.1],
          },
        },
      },
      [buckets.map((b) => Date.parse(b) / 1000), ...drawn.map((d) => d.values)],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 200), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [dataKey, height]);

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
