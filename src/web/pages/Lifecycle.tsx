// Insights → Lifecycle: per interval, the active units that are new, returning
// (active the interval before too) or resurrecting (back after a gap), and those
// gone dormant (active the interval before, not in this one), drawn below zero.
// Every control lives in the URL.
import { LifecycleDocument, type LifecycleInput, type RetentionInterval } from '../../sdk/generated/operations.ts';
import { useQuery } from '../api.ts';
import { StackedBars } from '../charts/StackedBars.tsx';
import { TIMEZONE } from '../format.ts';
import {
  EventSelect,
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

export const LIFECYCLE_COLORS = {
  new: '#16a34a',
  returning: '#2563eb',
  resurrecting: '#ea580c',
  dormant: '#dc2626',
};

export function LifecyclePage() {
  useTitle('Lifecycle');
  const [query, setQuery] = useUrlState();
  const names = useEventNames();
  const choice = useUnit(query);
  const { range, from, to } = useRange(query, '90d');
  const interval = oneOf(query.interval, Object.keys(RETENTION_INTERVALS) as RetentionInterval[], 'WEEK');
  const ready = choice.unit === 'PROFILE' || Boolean(choice.groupType);

  const input: LifecycleInput = {
    unit: choice.unit,
    ...(choice.groupType ? { groupType: choice.groupType } : {}),
    ...(query.event ? { eventNames: [query.event] } : {}),
    from,
    to,
    interval,
    timezone: TIMEZONE,
  };
  const lifecycle = useQuery(LifecycleDocument, { input }, { skip: !ready });
  const buckets = ready ? lifecycle.data?.lifecycle.buckets : undefined;

  return (
    <>
      <h1>Lifecycle</h1>
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
      {ready && <ProblemBanner state={lifecycle} />}
      {ready && !buckets && lifecycle.loading && <Loading what="the lifecycle" />}
      {buckets && (
        <StackedBars
          title={`Active ${choice.label} per ${RETENTION_INTERVALS[interval].toLowerCase()}: new, returning, resurrecting; dormant below`}
          interval={interval}
          buckets={buckets.map((b) => b.bucket)}
          series={[
            { label: 'Returning', color: LIFECYCLE_COLORS.returning, values: buckets.map((b) => b.returning) },
            { label: 'New', color: LIFECYCLE_COLORS.new, values: buckets.map((b) => b.new) },
            { label: 'Resurrecting', color: LIFECYCLE_COLORS.resurrecting, values: buckets.map((b) => b.resurrecting) },
            { label: 'Dormant', color: LIFECYCLE_COLORS.dormant, values: buckets.map((b) => b.dormant), below: true },
          ]}
        />
      )}
    </>
  );
}
