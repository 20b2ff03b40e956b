// One group: what it is, how busy it was over the range, who joined and left,
// what its people do most, and its latest events — one request for all of it,
// and one more per further page of members.
import { useEffect, useMemo, useState } from 'preact/hooks';

import {
  DashboardGroupDocument,
  DashboardGroupMembersDocument,
  type DashboardGroupQuery,
} from '../../sdk/generated/operations.ts';
import { describeProblem, useClient, useQuery, type Problem } from '../api.ts';
import { TimeChart } from '../charts/TimeChart.tsx';
import { formatAgo, formatCount, formatDate, formatDateTime, TIMEZONE } from '../format.ts';
import { defaultInterval, intervalsFor, INTERVAL_LABELS, RANGE_LABELS, RANGES, rangeStart } from '../ranges.ts';
import { PATHS } from '../routes.ts';
import { Loading, ProblemBanner, problemText } from '../Status.tsx';
import { Field } from '../Field.tsx';
import { LiveFeed } from '../LiveFeed.tsx';
import { useTitle } from '../title.ts';
import { oneOf, useUrlState, withQuery } from '../urlState.ts';

const MEMBERS_PAGE = 20;
const LATEST_EVENTS = 10;

type Group = NonNullable<DashboardGroupQuery['group']>;
type MemberEdge = Group['members']['edges'][number];

export function GroupPage({ id }: { id: string }) {
  const [query, setQuery] = useUrlState();
  const range = oneOf(query.range, RANGES, '30d');
  const interval = oneOf(query.interval, intervalsFor(range), defaultInterval(range));
  // The range ends now; it moves only when the reader changes it.
  const [from, to] = useMemo(() => [rangeStart(range).toISOString(), new Date().toISOString()], [range, id]);
  const state = useQuery(DashboardGroupDocument, {
    id,
    from,
    to,
    interval,
    timezone: TIMEZONE,
    members: MEMBERS_PAGE,
    events: LATEST_EVENTS,
  });
  const group = state.data?.group;
  useTitle(group?.name ?? id);

  return (
    <>
      <p class="breadcrumbs">
        <a href={PATHS.groups}>Groups</a> /
      </p>
      <h1>
        {group?.name ?? id} {group?.type && <span class="badge">{group.type}</span>}
      </h1>
      <ProblemBanner state={state} />
      {!state.data && state.loading && <Loading what="the group" />}
      {state.data && !group && (
        <p class="empty">
          No group has the id <code>{id}</code> in this project. <a href={PATHS.groups}>All groups</a>
        </p>
      )}
      {group && (
        <>
          <form class="filters" onSubmit={(e) => e.preventDefault()}>
            <Field label="Range">
              {(id) => (
                <select
                  id={id}
                  value={range}
                  onChange={(e) => setQuery({ range: e.currentTarget.value, interval: null })}
                >
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
            <a href={withQuery(PATHS.trend, {}, { group: id, range, interval, breakdown: 'EVENT_NAME' })}>
              Open in Trend
            </a>
          </form>
          <GroupDetails group={group} range={RANGE_LABELS[range]} />
          <div class="charts">
            <TimeChart
              title="Activity"
              interval={interval}
              buckets={group.activity.map((p) => p.bucket)}
              series={[
                { label: 'Events', values: group.activity.map((p) => p.events) },
                { label: 'Unique profiles', values: group.activity.map((p) => p.uniqueProfiles) },
              ]}
            />
            <TimeChart
              title="Members"
              interval={interval}
              buckets={group.memberGrowth.map((p) => p.bucket)}
              series={[
                { label: 'Members', values: group.memberGrowth.map((p) => p.members) },
                { label: 'Joined', values: group.memberGrowth.map((p) => p.joined) },
                { label: 'Left', values: group.memberGrowth.map((p) => p.left) },
              ]}
            />
          </div>
          <div class="columns">
            <TopEvents group={group} range={range} interval={interval} />
            <LatestEvents group={group} />
          </div>
          <LiveFeed groupId={group.id} />
          <Members group={group} />
        </>
      )}
    </>
  );
}

function GroupDetails({ group, range }: { group: Group; range: string }) {
  const properties = Object.entries(group.properties);
  return (
    <section aria-label="Summary">
      <dl class="stats">
        <div>
          <dt>Members</dt>
          <dd>{formatCount(group.memberCount)}</dd>
        </div>
        <div>
          <dt>Events ({range.toLowerCase()})</dt>
          <dd>{formatCount(group.stats.eventCount)}</dd>
        </div>
        <div>
          <dt>Active profiles ({range.toLowerCase()})</dt>
          <dd>{formatCount(group.stats.uniqueProfiles)}</dd>
        </div>
        <div>
          <dt>Last active</dt>
          <dd>
            <time dateTime={group.lastActiveAt ?? undefined} title={formatDateTime(group.lastActiveAt)}>
              {formatAgo(group.lastActiveAt)}
            </time>
          </dd>
        </div>
      </dl>
      <dl class="properties">
        <div>
          <dt>id</dt>
          <dd>
            <code>{group.id}</code>
          </dd>
        </div>
        <div>
          <dt>created</dt>
          <dd>{formatDate(group.createdAt)}</dd>
        </div>
        {properties.map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function TopEvents({ group, range, interval }: { group: Group; range: string; interval: string }) {
  const top = group.stats.topEvents;
  const most = Math.max(1, ...top.map((e) => e.count));
  return (
    <section aria-labelledby="top-events">
      <h2 id="top-events">Top events</h2>
      {top.length === 0 ? (
        <p class="empty">No events in this range.</p>
      ) : (
        <table class="bars">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col" class="num">
                Count
              </th>
            </tr>
          </thead>
          <tbody>
            {top.map((event) => (
              <tr key={event.name}>
                <th scope="row">
                  <a href={withQuery(PATHS.trend, {}, { event: event.name, group: group.id, range, interval })}>
                    {event.name}
                  </a>
                  <span class="bar" style={{ width: `${(event.count / most) * 100}%` }} aria-hidden="true" />
                </th>
                <td class="num">{formatCount(event.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function LatestEvents({ group }: { group: Group }) {
  const events = group.events.edges.map((e) => e.node);
  return (
    <section aria-labelledby="latest-events">
      <h2 id="latest-events">Latest events</h2>
      {events.length === 0 ? (
        <p class="empty">No events yet.</p>
      ) : (
        <ol class="feed">
          {events.map((event) => (
            <li key={event.id}>
              <strong>{event.name}</strong> {event.profileId && <span class="muted">by {event.profileId}</span>}{' '}
              <time dateTime={event.createdAt} title={formatDateTime(event.createdAt)}>
                {formatAgo(event.createdAt)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function memberName(edge: MemberEdge): string {
  const { firstName, lastName, email, id } = edge.node;
  return [firstName, lastName].filter(Boolean).join(' ') || email || id;
}

function Members({ group }: { group: Group }) {
  const client = useClient();
  const [extra, setExtra] = useState<{ edges: MemberEdge[]; pageInfo: Group['members']['pageInfo'] }>();
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  useEffect(() => setExtra(undefined), [group]);
  const edges = [...group.members.edges, ...(extra?.edges ?? [])];
  const pageInfo = extra?.pageInfo ?? group.members.pageInfo;

  async function more() {
    setLoading(true);
    setProblem(undefined);
    try {
      const { group: next } = await client.request(DashboardGroupMembersDocument, {
        id: group.id,
        first: MEMBERS_PAGE,
        after: pageInfo.endCursor,
      });
      if (next) setExtra({ edges: [...(extra?.edges ?? []), ...next.members.edges], pageInfo: next.members.pageInfo });
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setLoading(false);
    }
  }

  return (
    <section aria-labelledby="members">
      <h2 id="members">Members, past and present</h2>
      {edges.length === 0 ? (
        <p class="empty">No one has joined this group.</p>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Profile</th>
                <th scope="col">Email</th>
                <th scope="col">Joined</th>
                <th scope="col">Left</th>
              </tr>
            </thead>
            <tbody>
              {edges.map((edge) => (
                <tr key={`${edge.node.id} ${edge.joinedAt}`} class={edge.leftAt ? 'former' : undefined}>
                  <th scope="row">{memberName(edge)}</th>
                  <td>{edge.node.email ?? '—'}</td>
                  <td>{formatDate(edge.joinedAt)}</td>
                  <td>{edge.leftAt ? formatDate(edge.leftAt) : <span class="muted">member</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {problem && (
        <p class="banner" role="alert">
          {problemText(problem)}
        </p>
      )}
      {pageInfo.hasNextPage && (
        <button type="button" onClick={more} disabled={loading}>
          {loading ? 'Loading…' : 'More members'}
        </button>
      )}
    </section>
  );
}
