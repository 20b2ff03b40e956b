// Insights → Retention: per cohort (the units that started in one interval), how
// many came back 1, 2, … intervals later, as a heat map: a table whose cells are
// shaded by their fraction, so the numbers are the chart and need no toggle to
// be read. Every control lives in the URL.
import { useId } from 'preact/hooks';

import {
  RetentionDocument,
  type RetentionCohortType,
  type RetentionInput,
  type RetentionInterval,
} from '../../sdk/generated/operations.ts';
import { useQuery } from '../api.ts';
import { Field } from '../Field.tsx';
import { formatBucket, formatCount, TIMEZONE } from '../format.ts';
import {
  CohortField,
  EventSelect,
  formatPercent,
  IntervalField,
  RangeField,
  RETENTION_INTERVALS,
  UnitFields,
  useEventNames,
  useCohort,
  useRange,
  useUnit,
} from '../insights/controls.tsx';
import { Loading, ProblemBanner } from '../Status.tsx';
import { useTitle } from '../title.ts';
import { oneOf, useUrlState } from '../urlState.ts';

const COHORT_TYPES: Record<RetentionCohortType, string> = {
  FIRST_TIME: 'First time',
  RECURRING: 'Every time (recurring)',
};
const PERIODS = ['4', '8', '12', '26'];

/** White to the primary blue by fraction; dark text stays readable up to about half. */
function shade(fraction: number): { background: string; color: string } {
  const alpha = Math.min(1, Math.max(0, fraction));
  return { background: `rgba(37, 99, 235, ${(0.08 + alpha * 0.92).toFixed(3)})`, color: alpha > 0.45 ? '#fff' : '' };
}

export function RetentionPage() {
  useTitle('Retention');
  const [query, setQuery] = useUrlState();
  const names = useEventNames();
  const choice = useUnit(query);
  const { range, from, to } = useRange(query, '90d');
  const interval = oneOf(query.interval, Object.keys(RETENTION_INTERVALS) as RetentionInterval[], 'WEEK');
  const cohortType = oneOf(query.cohort, Object.keys(COHORT_TYPES) as RetentionCohortType[], 'FIRST_TIME');
  const periods = oneOf(query.periods, PERIODS, '8');
  const cohort = useCohort(query, choice);
  const ready = (choice.unit === 'PROFILE' || Boolean(choice.groupType)) && !cohort.waiting;

  const input: RetentionInput = {
    unit: choice.unit,
    ...(choice.groupType ? { groupType: choice.groupType } : {}),
    ...(cohort.cohortId ? { cohortId: cohort.cohortId } : {}),
    ...(query.start ? { startEvent: query.start } : {}),
    ...(query.return ? { returnEvent: query.return } : {}),
    from,
    to,
    interval,
    periods: Number(periods),
    timezone: TIMEZONE,
    cohortType,
  };
  const retention = useQuery(RetentionDocument, { input }, { skip: !ready });
  const result = ready ? retention.data?.retention : undefined;
  const captionId = useId();
  const unitWord = RETENTION_INTERVALS[interval].toLowerCase();

  return (
    <>
      <h1>Retention</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Question">
        <UnitFields choice={choice} setQuery={setQuery} />
        <CohortField choice={cohort} label={choice.label} setQuery={setQuery} />
        <EventSelect
          label="Start event"
          value={query.start ?? ''}
          names={names}
          anyLabel="Any event"
          onChange={(start) => setQuery({ start })}
        />
        <EventSelect
          label="Return event"
          value={query.return ?? ''}
          names={names}
          anyLabel="Any event"
          onChange={(value) => setQuery({ return: value })}
        />
        <Field label="Cohorts">
          {(id) => (
            <select id={id} value={cohortType} onChange={(e) => setQuery({ cohort: e.currentTarget.value })}>
              {Object.entries(COHORT_TYPES).map(([value, label]) => (
                <option value={value}>{label}</option>
              ))}
            </select>
          )}
        </Field>
        <IntervalField interval={interval} setQuery={setQuery} />
        <Field label="Periods">
          {(id) => (
            <select id={id} value={periods} onChange={(e) => setQuery({ periods: e.currentTarget.value })}>
              {PERIODS.map((p) => (
                <option value={p}>{p}</option>
              ))}
            </select>
          )}
        </Field>
        <RangeField range={range} setQuery={setQuery} />
      </form>

      {!ready && <p class="empty">This project has no group types yet: choose profiles.</p>}
      {ready && <ProblemBanner state={retention} />}
      {ready && !result && retention.loading && <Loading what="retention" />}
      {result && (
        <figure class="chart" aria-labelledby={captionId}>
          <figcaption>
            <h3 id={captionId}>
              Share of {choice.label} coming back, per {unitWord} after their first
            </h3>
          </figcaption>
          <div class="table-scroll">
            <table class="heatmap numbers">
              <caption>
                Retention of {choice.label} by {unitWord} cohort; hatched cells are {unitWord}s not over yet.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Cohort</th>
                  <th scope="col" class="num">
                    Size
                  </th>
                  {result.average.map((_, k) => (
                    <th scope="col" class="num">
                      {RETENTION_INTERVALS[interval]} {k}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr class="average">
                  <th scope="row">Average</th>
                  <td class="num">{formatCount(result.cohorts.reduce((sum, c) => sum + c.size, 0))}</td>
                  {result.average.map((value) => (
                    <td style={value == null ? undefined : shade(value)}>
                      {value == null ? '—' : formatPercent(value)}
                    </td>
                  ))}
                </tr>
                {result.cohorts.map((cohort) => (
                  <tr key={cohort.start}>
                    <th scope="row">{formatBucket(cohort.start, interval)}</th>
                    <td class="num">{formatCount(cohort.size)}</td>
                    {cohort.values.map((value, k) =>
                      cohort.complete[k] ? (
                        <td
                          style={cohort.size > 0 ? shade(cohort.fractions[k]!) : undefined}
                          title={`${formatCount(value)} of ${formatCount(cohort.size)}`}
                        >
                          {cohort.size > 0 ? formatPercent(cohort.fractions[k]!) : '—'}
                        </td>
                      ) : (
                        <td class="incomplete" title={`${formatCount(value)} so far; not over yet`}>
                          {cohort.size > 0 ? formatPercent(cohort.fractions[k]!) : '—'}
                        </td>
                      ),
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </figure>
      )}
    </>
  );
}
