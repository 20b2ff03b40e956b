// Insights → Trend: eventAggregation over time, counting events, profiles or
// groups (the unit), broken down by event name, group, group type or a group
// property, for one event, group type, group or profile if asked. Every control
// lives in the URL.
import { useMemo } from 'preact/hooks';

import {
  DashboardEventNamesDocument,
  DashboardSessionDocument,
  EventAggregationDocument,
  type AggregationBreakdown,
  type AggregationMetric,
  type EventAggregationInput,
} from '../../sdk/generated/operations.ts';
import { useQuery } from '../api.ts';
import { PALETTE, TimeChart } from '../charts/TimeChart.tsx';
import { formatCount, TIMEZONE } from '../format.ts';
import {
  daysAgo,
  defaultInterval,
  intervalsFor,
  INTERVAL_LABELS,
  RANGE_LABELS,
  RANGES,
  rangeStart,
} from '../ranges.ts';
import { groupPath } from '../routes.ts';
import { Loading, ProblemBanner } from '../Status.tsx';
import { Field } from '../Field.tsx';
import { useTitle } from '../title.ts';
import { oneOf, useUrlState } from '../urlState.ts';

const METRICS: Record<AggregationMetric, string> = {
  EVENTS: 'Events',
  UNIQUE_PROFILES: 'Profiles (unique)',
  UNIQUE_GROUPS: 'Groups (unique)',
};

const BREAKDOWNS: Record<AggregationBreakdown | 'NONE', string> = {
  NONE: 'Nothing',
  EVENT_NAME: 'Event name',
  GROUP: 'Group',
  GROUP_TYPE: 'Group type',
  GROUP_PROPERTY: 'Group property',
  PROFILE: 'Profile',
  EVENT_PROPERTY: 'Event property',
};

const SERIES_LIMIT = 10;

export function TrendPage() {
  useTitle('Trend');
  const [query, setQuery] = useUrlState();
  const metric = oneOf(query.metric, Object.keys(METRICS) as AggregationMetric[], 'EVENTS');
  const breakdown = oneOf(query.breakdown, Object.keys(BREAKDOWNS) as (AggregationBreakdown | 'NONE')[], 'NONE');
  const property = query.property ?? '';
  const needsProperty = breakdown === 'GROUP_PROPERTY' || breakdown === 'EVENT_PROPERTY';
  const range = oneOf(query.range, RANGES, '30d');
  const interval = oneOf(query.interval, intervalsFor(range), defaultInterval(range));
  const from = useMemo(() => rangeStart(range).toISOString(), [range]);
  const namesFrom = useMemo(() => daysAgo(365).toISOString(), []);

  const input: EventAggregationInput = {
    metric,
    interval,
    from,
    timezone: TIMEZONE,
    limit: SERIES_LIMIT,
    ...(breakdown !== 'NONE' ? { breakdown } : {}),
    ...(needsProperty ? { breakdownProperty: property } : {}),
    filter: {
      ...(query.event ? { eventNames: [query.event] } : {}),
      ...(query.type ? { groupType: query.type } : {}),
      ...(query.group ? { groupIds: [query.group] } : {}),
      ...(query.profile ? { profileId: query.profile } : {}),
    },
  };
  const waitingForProperty = needsProperty && !property;
  const trend = useQuery(EventAggregationDocument, { input }, { skip: waitingForProperty });
  const session = useQuery(DashboardSessionDocument, {});
  const names = useQuery(DashboardEventNamesDocument, { from: namesFrom });
  const result = trend.data?.eventAggregation;
  const eventNames = names.data?.eventAggregation.series.flatMap((s) => (s.key ? [s.key] : [])) ?? [];

  const title = `${METRICS[metric]}${query.event ? ` of ${query.event}` : ''}${breakdown !== 'NONE' ? ` by ${BREAKDOWNS[breakdown].toLowerCase()}${needsProperty && property ? ` "${property}"` : ''}` : ''}, per ${INTERVAL_LABELS[interval].toLowerCase()}`;

  return (
    <>
      <h1>Trend</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Question">
        <Field label="Count">
          {(id) => (
            <select id={id} value={metric} onChange={(e) => setQuery({ metric: e.currentTarget.value })}>
              {Object.entries(METRICS).map(([value, label]) => (
                <option value={value}>{label}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Event">
          {(id) => (
            <select id={id} value={query.event ?? ''} onChange={(e) => setQuery({ event: e.currentTarget.value })}>
              <option value="">Any event</option>
              {eventNames.map((name) => (
                <option value={name}>{name}</option>
              ))}
              {query.event && !eventNames.includes(query.event) && <option value={query.event}>{query.event}</option>}
            </select>
          )}
        </Field>
        <Field label="Group type">
          {(id) => (
            <select id={id} value={query.type ?? ''} onChange={(e) => setQuery({ type: e.currentTarget.value })}>
              <option value="">Any type</option>
              {(session.data?.groupTypes ?? []).map((t) => (
                <option value={t.type}>{t.type}</option>
              ))}
              {query.type && !session.data?.groupTypes.some((t) => t.type === query.type) && (
                <option value={query.type}>{query.type}</option>
              )}
            </select>
          )}
        </Field>
        <Field label="Group id">
          {(id) => (
            <input
              id={id}
              type="text"
              value={query.group ?? ''}
              placeholder="any"
              onChange={(e) => setQuery({ group: e.currentTarget.value.trim() })}
            />
          )}
        </Field>
        <Field label="Profile id">
          {(id) => (
            <input
              id={id}
              type="text"
              value={query.profile ?? ''}
              placeholder="any"
              onChange={(e) => setQuery({ profile: e.currentTarget.value.trim() })}
            />
          )}
        </Field>
        <Field label="Breakdown">
          {(id) => (
            <select
              id={id}
              value={breakdown}
              onChange={(e) => setQuery({ breakdown: e.currentTarget.value === 'NONE' ? null : e.currentTarget.value })}
            >
              {Object.entries(BREAKDOWNS).map(([value, label]) => (
                <option value={value}>{label}</option>
              ))}
            </select>
          )}
        </Field>
        {needsProperty && (
          <Field label="Property">
            {(id) => (
              <input
                id={id}
                type="text"
                value={property}
                placeholder="plan"
                required
                onChange={(e) => setQuery({ property: e.currentTarget.value.trim() })}
              />
            )}
          </Field>
        )}
        <Field label="Range">
          {(id) => (
            <select id={id} value={range} onChange={(e) => setQuery({ range: e.currentTarget.value, interval: null })}>
              {RANGES.map((r) => (
                <option value={r}>{RANGE_LABELS[r]}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Interval">
          {(id) => (
            <select id={id} value={interval} onChange={(e) => setQuery({ interval: e.currentTarget.value })}>
              {intervalsFor(range).map((i) => (
                <option value={i}>{INTERVAL_LABELS[i]}</option>
              ))}
            </select>
          )}
        </Field>
      </form>

      {waitingForProperty && <p class="empty">Name the group property to break down by (e.g. plan).</p>}
      <ProblemBanner state={trend} />
      {!result && trend.loading && <Loading what="the trend" />}
      {result && (
        <>
          <TimeChart
            title={title}
            interval={interval}
            buckets={result.buckets}
            series={result.series.map((s) => ({ label: s.label, values: s.points.map((p) => p.value) }))}
            fill={result.series.length === 1}
            height={320}
          />
          <section aria-labelledby="trend-totals">
            <h2 id="trend-totals">
              Over the range: {formatCount(result.total)} {METRICS[metric].toLowerCase()}
            </h2>
            {result.series.length === 0 ? (
              <p class="empty">Nothing matches in this range.</p>
            ) : (
              <table class="totals">
                <thead>
                  <tr>
                    <th scope="col">{breakdown === 'NONE' ? 'Series' : BREAKDOWNS[breakdown]}</th>
                    <th scope="col" class="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {result.series.map((s, i) => (
                    <tr key={s.key ?? ''}>
                      <th scope="row">
                        <span class="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
                        {breakdown === 'GROUP' && s.key ? <a href={groupPath(s.key)}>{s.label}</a> : s.label}
                        {s.key === null && breakdown !== 'NONE' && <span class="muted"> (none)</span>}
                      </th>
                      <td class="num">{formatCount(s.total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {result.series.length === SERIES_LIMIT && <p class="muted">The {SERIES_LIMIT} largest series, by total.</p>}
          </section>
        </>
      )}
    </>
  );
}
