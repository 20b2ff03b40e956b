// A group page's live feed: events tagged with the group, as they are stored,
// newest first, through Subscription.events. Says whether it is connected and,
// after a drop, when it tries again.
import { useEffect, useState } from 'preact/hooks';

import { DashboardLiveEventsDocument, type DashboardLiveEventsSubscription } from '../sdk/generated/operations.ts';
import { formatDateTime } from './format.ts';
import { useSubscription } from './live.ts';
import { problemText } from './Status.tsx';

/** Enough to see what is happening; older ones are in "Latest events" and the API. */
const KEPT = 50;

type LiveEvent = DashboardLiveEventsSubscription['events'];

export function LiveFeed({ groupId }: { groupId: string }) {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  useEffect(() => setEvents([]), [groupId]);
  const live = useSubscription(DashboardLiveEventsDocument, { filter: { groupIds: [groupId] } }, (data) =>
    setEvents((current) => [data.events, ...current.filter((e) => e.id !== data.events.id)].slice(0, KEPT)),
  );
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!live.retryAt) return;
    const tick = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(tick);
  }, [live.retryAt]);

  return (
    <section aria-labelledby="live-events">
      <h2 id="live-events">Live</h2>
      <p class="live-status muted" role="status">
        {live.status === 'live'
          ? 'Connected: new events appear here as they arrive.'
          : live.status === 'connecting'
            ? 'Connecting…'
            : `Disconnected${live.problem ? ` (${problemText(live.problem)})` : ''}; reconnecting in ${Math.max(0, Math.ceil(((live.retryAt ?? now) - now) / 1000))} s…`}
      </p>
      {events.length === 0 ? (
        <p class="empty">No new event since this page opened.</p>
      ) : (
        <ol class="feed live" aria-live="polite">
          {events.map((event) => (
            <li key={event.id} class="fresh">
              <strong>{event.name}</strong> {event.profileId && <span class="muted">by {event.profileId}</span>}{' '}
              <time dateTime={event.createdAt}>{formatDateTime(event.createdAt)}</time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
