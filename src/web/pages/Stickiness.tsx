// Insights → Stickiness: of the units active in the range, how many were active
// in exactly 1, 2, … of its intervals. Bars in plain HTML (one per count of
// intervals), with the numbers in a table toggle. Every control lives in the URL.
import { useId, useState } from 'preact/hooks';

import { StickinessDocument, type RetentionInterval, type StickinessInput } from '../../sdk/generated/operations.ts';
import { useQuery } from '../api.ts';
import { formatCount, TIMEZONE } from '../format.ts';
import {
  EventSelect,
  formatPercent,
  IntervalField,
  RangeField,
  RETENTION_INTERVALS,
  UnitFields,
  useEventNames,
  useRange,
  useUnit,
} from '../insights/controls.tsx';
import { Loading, ProblemBanner } from '../Status.tsx';
import { useTitle } from '../title.ts';
import { oneOf, useUrlState } from '../urlState.ts';

export function StickinessPage() {
  useTitle('Stickiness');
  const [query, setQuery] = useUrlState();
  const names = useEventNames();
  const choice = useUnit(query);
  const { range, from, to } = useRange(query, '30d');
  const interval = oneOf(query.interval, Object.keys(RETENTION_INTERVALS) as RetentionInterval[], 'DAY');
  const ready = choice.unit === 'PROFILE' || Boolean(choice.groupType);

  const input: StickinessInput = {
    unit: choice.unit,
    ...(choice.groupType ? { groupType: choice.groupType } : {}),
    ...(query.event ? { eventNames: [query.event] } : {}),
    from,
    to,
    interval,
    timezone: TIMEZONE,
  };
  const stickiness = useQuery(StickinessDocument, { input }, { skip: !ready });
  const result = ready ? stickiness.data?.stickiness : undefined;
  const word = RETENTION_INTERVALS[interval].toLowerCase();

  return (
    <>
      <h1>Stickiness</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Question">
        <UnitFields choice={choice} setQuery={setQuery} />
        <EventSelect
          label="Event"
          value={query.event ?? ''}
          names={names}
          anyLabel="Any event"
          onChange={(event) => setQuery({ event })}
        />
        <IntervalField interval={interval} setQuery={setQuery} />
        <RangeField range={range} setQuery={setQuery} />
      </form>

      {!ready && <p class="empty">This project has no group types yet: choose profiles.</p>}
      {ready && <ProblemBanner state={stickiness} />}
      {ready && !result && stickiness.loading && <Loading what="stickiness" />}
      {result && (
        <StickinessBars
          title={`Active ${choice.label} by the number of ${word}s they were active in (of ${result.intervals})`}
          word={word}
          counts={result.counts}
        />
      )}
    </>
  );
}

function StickinessBars(props: { title: string; word: string; counts: number[] }) {
  const [showNumbers, setShowNumbers] = useState(false);
  const titleId = useId();
  const total = props.counts.reduce((a, b) => a + b, 0);
  const max = Math.max(1, ...props.counts);
  const summary =
    total === 0
      ? 'No unit was active in this range.'
      : props.counts.map((count, i) => `${i + 1} ${props.word}${i ? 's' : ''}: ${formatCount(count)}`).join(', ');
  return (
    <figure class="chart" aria-labelledby={titleId}>
      <figcaption>
        <h3 id={titleId}>{props.title}</h3>
        <button type="button" class="link" aria-pressed={showNumbers} onClick={() => setShowNumbers(!showNumbers)}>
          {showNumbers ? 'Hide numbers' : 'Show numbers'}
        </button>
      </figcaption>
      <div class="bars" role="img" aria-label={`${props.title}. ${summary}`}>
        {props.counts.map((count, i) => (
          <div class="bar-column" title={`${i + 1} ${props.word}${i ? 's' : ''}: ${formatCount(count)}`}>
            <div class="bar" style={{ height: `${(count / max) * 100}%` }} />
          </div>
        ))}
      </div>
      <div class="bars-axis" aria-hidden="true">
        {props.counts.map((_, i) => (
          <span>{i + 1}</span>
        ))}
      </div>
      {showNumbers && (
        <div class="table-scroll">
          <table class="numbers">
            <caption>{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">Active in</th>
                <th scope="col" class="num">
                  Units
                </th>
                <th scope="col" class="num">
                  Share
                </th>
              </tr>
            </thead>
            <tbody>
              {props.counts.map((count, i) => (
                <tr>
                  <th scope="row">
                    {i + 1} {props.word}
                    {i ? 's' : ''}
                  </th>
                  <td class="num">{formatCount(count)}</td>
                  <td class="num">{total ? formatPercent(count / total) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </figure>
  );
}
