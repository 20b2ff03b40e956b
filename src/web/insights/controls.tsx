// Controls every account-level insight shares: the unit (groups of one type or
// profiles), the range, and the lists of event names and group types they offer.
// Each keeps its value in the URL: unit, type, range, cohortId.
import { useMemo } from 'preact/hooks';

import {
  DashboardCohortChoicesDocument,
  DashboardEventNamesDocument,
  DashboardSessionDocument,
  type AnalysisUnit,
  type RetentionInterval,
} from '../../sdk/generated/operations.ts';
import { useQuery } from '../api.ts';
import { Field } from '../Field.tsx';
import { daysAgo, RANGE_LABELS, RANGES, rangeStart, type Range } from '../ranges.ts';
import { oneOf, type QueryChanges } from '../urlState.ts';

export const UNITS: readonly AnalysisUnit[] = ['GROUP', 'PROFILE'];

/** Longer ranges than a day: the account-level analyses bucket by day at least. */
export const INSIGHT_RANGES: readonly Range[] = RANGES.filter((r) => r !== '24h');

export interface UnitChoice {
  unit: AnalysisUnit;
  /** The group type, for unit GROUP. */
  groupType: string | undefined;
  /** What is counted, for people: "companies"-like wording is not known, so "groups (company)". */
  label: string;
}

/** The unit the URL asks for; GROUP without a type falls back to the first type the project has. */
export function useUnit(query: Record<string, string>): UnitChoice & { groupTypes: string[] } {
  const session = useQuery(DashboardSessionDocument, {});
  const groupTypes = session.data?.groupTypes.map((t) => t.type) ?? [];
  const unit = oneOf(query.unit, UNITS, 'GROUP');
  const groupType = unit === 'GROUP' ? query.type || groupTypes[0] : undefined;
  const label = unit === 'GROUP' ? `groups${groupType ? ` (${groupType})` : ''}` : 'profiles';
  return { unit, groupType, label, groupTypes };
}

/** Event names seen in the last year, busiest first. */
export function useEventNames(): string[] {
  const from = useMemo(() => daysAgo(365).toISOString(), []);
  const names = useQuery(DashboardEventNamesDocument, { from });
  return names.data?.eventAggregation.series.flatMap((s) => (s.key ? [s.key] : [])) ?? [];
}

/** [from, to) of the URL's range; the end is now, fixed until the range changes. */
export function useRange(query: Record<string, string>, fallback: Range): { range: Range; from: string; to: string } {
  const range = oneOf(query.range, INSIGHT_RANGES, fallback);
  const [from, to] = useMemo(() => [rangeStart(range).toISOString(), new Date().toISOString()], [range]);
  return { range, from, to };
}

export function UnitFields(props: {
  choice: UnitChoice & { groupTypes: string[] };
  setQuery(changes: QueryChanges): void;
}) {
  const { unit, groupType, groupTypes } = props.choice;
  return (
    <>
      <Field label="Unit">
        {(id) => (
          <select id={id} value={unit} onChange={(e) => props.setQuery({ unit: e.currentTarget.value })}>
            <option value="GROUP">Groups</option>
            <option value="PROFILE">Profiles</option>
          </select>
        )}
      </Field>
      {unit === 'GROUP' && (
        <Field label="Group type">
          {(id) => (
            <select id={id} value={groupType ?? ''} onChange={(e) => props.setQuery({ type: e.currentTarget.value })}>
              {groupTypes.map((t) => (
                <option value={t}>{t}</option>
              ))}
              {groupType && !groupTypes.includes(groupType) && <option value={groupType}>{groupType}</option>}
            </select>
          )}
        </Field>
      )}
    </>
  );
}

export interface CohortChoice {
  /** The saved cohorts of the chosen unit (and group type). */
  cohorts: { id: string; name: string }[];
  /** The URL's cohort when it fits the unit; its members are the only units counted. */
  cohortId: string | undefined;
  /** A cohort is in the URL but the list is not here yet: ask nothing, rather than ask without it first. */
  waiting: boolean;
}

/** The cohort the URL's `cohortId` names, among those that fit the unit. */
export function useCohort(query: Record<string, string>, choice: UnitChoice): CohortChoice {
  const list = useQuery(DashboardCohortChoicesDocument, {});
  const cohorts = (list.data?.cohorts.edges ?? [])
    .map((e) => e.node)
    .filter((c) => c.unit === choice.unit && (c.unit === 'PROFILE' || c.groupType === choice.groupType));
  const cohortId = cohorts.some((c) => c.id === query.cohortId) ? query.cohortId : undefined;
  return { cohorts, cohortId, waiting: Boolean(query.cohortId) && !list.data && !list.problem };
}

export function CohortField(props: { choice: CohortChoice; label: string; setQuery(changes: QueryChanges): void }) {
  const { cohorts, cohortId } = props.choice;
  return (
    <Field label="Saved cohort">
      {(id) => (
        <select
          id={id}
          value={cohortId ?? ''}
          onChange={(e) => props.setQuery({ cohortId: e.currentTarget.value || null })}
        >
          <option value="">All {props.label}</option>
          {cohorts.map((c) => (
            <option value={c.id}>{c.name}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** The buckets of retention, lifecycle and stickiness, with their labels. */
export const RETENTION_INTERVALS: Record<RetentionInterval, string> = { DAY: 'Day', WEEK: 'Week', MONTH: 'Month' };

export function IntervalField(props: { interval: RetentionInterval; setQuery(changes: QueryChanges): void }) {
  return (
    <Field label="Interval">
      {(id) => (
        <select id={id} value={props.interval} onChange={(e) => props.setQuery({ interval: e.currentTarget.value })}>
          {Object.entries(RETENTION_INTERVALS).map(([value, label]) => (
            <option value={value}>{label}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function RangeField(props: { range: Range; setQuery(changes: QueryChanges): void }) {
  return (
    <Field label="Range">
      {(id) => (
        <select id={id} value={props.range} onChange={(e) => props.setQuery({ range: e.currentTarget.value })}>
          {INSIGHT_RANGES.map((r) => (
            <option value={r}>{RANGE_LABELS[r]}</option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A select of event names with an "any event" choice (value ''). */
export function EventSelect(props: {
  label: string;
  value: string;
  names: string[];
  anyLabel: string;
  onChange(value: string): void;
}) {
  return (
    <Field label={props.label}>
      {(id) => (
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
          <option value="">{props.anyLabel}</option>
          {props.names.map((name) => (
            <option value={name}>{name}</option>
          ))}
          {props.value && !props.names.includes(props.value) && <option value={props.value}>{props.value}</option>}
        </select>
      )}
    </Field>
  );
}

/** The name a unit shows: a group's name, a profile's email, else its id. */
export function unitName(unit: {
  id: string;
  group?: { name?: string | null } | null;
  profile?: { email?: string | null } | null;
}): string {
  return unit.group?.name || unit.profile?.email || unit.id;
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}
