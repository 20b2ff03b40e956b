// Groups: every company, workspace or team, filtered by type and searched by id
// or name, with members, last activity and 30 days of activity per row. A page
// of rows costs three requests whatever its length: the session (types, whether
// any event exists), the page, and one aggregation for all its sparklines.
import { useEffect, useMemo, useState } from 'preact/hooks';

import {
  DashboardGroupsActivityDocument,
  DashboardGroupsDocument,
  DashboardSessionDocument,
} from '../../sdk/generated/operations.ts';
import { useQuery } from '../api.ts';
import { NumbersTable, Sparkline } from '../charts/TimeChart.tsx';
import { FirstEvent } from '../FirstEvent.tsx';
import { formatAgo, formatCount, formatDateTime, TIMEZONE } from '../format.ts';
import { daysAgo } from '../ranges.ts';
import { groupPath } from '../routes.ts';
import { Loading, ProblemBanner } from '../Status.tsx';
import { Field } from '../Field.tsx';
import { useTitle } from '../title.ts';
import { useUrlState, withQuery } from '../urlState.ts';

const PAGE_SIZE = 25;
const SPARKLINE_DAYS = 30;

export function GroupsPage() {
  useTitle('Groups');
  const [query, setQuery] = useUrlState();
  const type = query.type ?? '';
  const search = query.q ?? '';
  const [searchInput, setSearchInput] = useState(search);
  const [showNumbers, setShowNumbers] = useState(false);

  // Typing updates the URL (replacing history) once the reader pauses.
  useEffect(() => setSearchInput(search), [search]);
  useEffect(() => {
    if (searchInput === search) return;
    const timer = setTimeout(() => setQuery({ q: searchInput.trim(), after: null, before: null }, true), 300);
    return () => clearTimeout(timer);
  }, [searchInput]);

  const session = useQuery(DashboardSessionDocument, {});
  const page = useQuery(
    DashboardGroupsDocument,
    query.before
      ? { type: type || null, search: search || null, last: PAGE_SIZE, before: query.before }
      : { type: type || null, search: search || null, first: PAGE_SIZE, after: query.after ?? null },
  );
  const groups = page.data?.groups.edges.map((e) => e.node) ?? [];
  const from = useMemo(() => daysAgo(SPARKLINE_DAYS).toISOString(), []);
  const activity = useQuery(
    DashboardGroupsActivityDocument,
    { groupIds: groups.map((g) => g.id), from, timezone: TIMEZONE },
    { skip: groups.length === 0 },
  );
  const buckets = activity.data?.eventAggregation.buckets ?? [];
  const activityOf = useMemo(() => {
    const byGroup = new Map(activity.data?.eventAggregation.series.map((s) => [s.key, s]) ?? []);
    return (id: string) => {
      const series = byGroup.get(id);
      return { total: series?.total ?? 0, values: series?.points.map((p) => p.value) ?? buckets.map(() => 0) };
    };
  }, [activity.data]);

  const types = session.data?.groupTypes ?? [];
  const noEvents = session.data ? session.data.events.edges.length === 0 : false;
  const pageInfo = page.data?.groups.pageInfo;
  const filtered = Boolean(type || search);

  return (
    <>
      <h1>Groups</h1>
      <ProblemBanner state={session} />
      {noEvents && (
        <FirstEvent
          origin={location.origin}
          onCheckAgain={() => {
            session.retry();
            page.retry();
          }}
        />
      )}

      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label="Type">
          {(id) => (
            <select
              id={id}
              value={type}
              onChange={(e) => setQuery({ type: e.currentTarget.value, after: null, before: null })}
            >
              <option value="">All types</option>
              {types.map((t) => (
                <option value={t.type}>
                  {t.type} ({formatCount(t.groupCount)})
                </option>
              ))}
              {type && !types.some((t) => t.type === type) && <option value={type}>{type}</option>}
            </select>
          )}
        </Field>
        <Field label="Search">
          {(id) => (
            <input
              id={id}
              type="search"
              placeholder="id or name"
              value={searchInput}
              onInput={(e) => setSearchInput(e.currentTarget.value)}
            />
          )}
        </Field>
        <button type="button" class="link" aria-pressed={showNumbers} onClick={() => setShowNumbers(!showNumbers)}>
          {showNumbers ? 'Hide numbers' : 'Show numbers'}
        </button>
      </form>

      <ProblemBanner state={page} />
      <ProblemBanner state={activity} />
      {!page.data && page.loading && <Loading what="groups" />}
      {page.data && groups.length === 0 && (
        <p class="empty">{filtered ? 'No group matches these filters.' : 'No groups yet.'}</p>
      )}
      {groups.length > 0 && (
        <div class="table-scroll">
          <table class="groups" aria-busy={page.loading}>
            <caption class="visually-hidden">Groups, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col" class="num">
                  Members
                </th>
                <th scope="col">Last active</th>
                <th scope="col" class="num">
                  Events, {SPARKLINE_DAYS} days
                </th>
                <th scope="col">Activity, {SPARKLINE_DAYS} days</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((group) => {
                const { total, values } = activityOf(group.id);
                return (
                  <tr key={group.id}>
                    <th scope="row">
                      <a href={groupPath(group.id)}>{group.name ?? group.id}</a>
                      {group.name && <span class="muted id">{group.id}</span>}
                    </th>
                    <td>{group.type ?? <span class="muted">placeholder</span>}</td>
                    <td class="num">{formatCount(group.memberCount)}</td>
                    <td>
                      <time dateTime={group.lastActiveAt ?? undefined} title={formatDateTime(group.lastActiveAt)}>
                        {formatAgo(group.lastActiveAt)}
                      </time>
                    </td>
                    <td class="num">{activity.data ? formatCount(total) : '…'}</td>
                    <td>
                      {activity.data && (
                        <Sparkline
                          values={values}
                          label={`${group.name ?? group.id}: ${formatCount(total)} events in the last ${SPARKLINE_DAYS} days, at most ${formatCount(Math.max(0, ...values))} a day`}
                        />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {showNumbers && activity.data && groups.length > 0 && (
        <NumbersTable
          caption={`Events per day, last ${SPARKLINE_DAYS} days`}
          buckets={buckets}
          interval="DAY"
          series={groups.map((g) => ({ label: g.name ?? g.id, values: activityOf(g.id).values }))}
        />
      )}
      {pageInfo && (
        <nav class="pager" aria-label="Pages">
          {(query.after || query.before) && (
            <a href={withQuery('/groups', query, { after: null, before: null })}>First page</a>
          )}
          {(query.after || (query.before && pageInfo.hasPreviousPage)) && pageInfo.startCursor && (
            <a href={withQuery('/groups', query, { after: null, before: pageInfo.startCursor })} rel="prev">
              Previous
            </a>
          )}
          {(query.before || pageInfo.hasNextPage) && pageInfo.endCursor && (
            <a href={withQuery('/groups', query, { before: null, after: pageInfo.endCursor })} rel="next">
              Next
            </a>
          )}
        </nav>
      )}
    </>
  );
}
