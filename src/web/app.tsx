// The shell: sign-in gate, header with the navigation, and the router. Pages
// that do not exist yet are not in the navigation.
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso/router';

import { ClientContext, createClient } from './api.ts';
import type { Key, PageConfig } from './pageConfig.ts';
import { GroupPage } from './pages/Group.tsx';
import { GroupsPage } from './pages/Groups.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { TrendPage } from './pages/Trend.tsx';
import { FunnelPage } from './pages/Funnel.tsx';
import { CohortPage, CohortsPage } from './pages/Cohorts.tsx';
import { LifecyclePage } from './pages/Lifecycle.tsx';
import { RetentionPage } from './pages/Retention.tsx';
import { StickinessPage } from './pages/Stickiness.tsx';
import { APP_HREF, PATHS } from './routes.ts';
import { SessionContext, storedKey, storeKey } from './session.ts';
import { useTitle } from './title.ts';

const NAVIGATION = [
  { href: PATHS.groups, label: 'Groups', current: (path: string) => path === '/' || path.startsWith('/groups') },
  { href: PATHS.trend, label: 'Trend', current: (path: string) => path.startsWith(PATHS.trend) },
  { href: PATHS.funnel, label: 'Funnel', current: (path: string) => path.startsWith(PATHS.funnel) },
  { href: PATHS.retention, label: 'Retention', current: (path: string) => path.startsWith(PATHS.retention) },
  { href: PATHS.lifecycle, label: 'Lifecycle', current: (path: string) => path.startsWith(PATHS.lifecycle) },
  { href: PATHS.stickiness, label: 'Stickiness', current: (path: string) => path.startsWith(PATHS.stickiness) },
  { href: PATHS.cohorts, label: 'Cohorts', current: (path: string) => path.startsWith(PATHS.cohorts) },
];

export function App({ config }: { config: PageConfig }) {
  const [key, setKey] = useState<Key | undefined>(storedKey);
  const client = useMemo(() => key && createClient(key, location.origin), [key]);
  const session = useMemo(
    () =>
      key && {
        key,
        signOut() {
          storeKey(undefined);
          setKey(undefined);
        },
      },
    [key],
  );

  return (
    <LocationProvider scope={APP_HREF}>
      {!session || !client ? (
        <SignIn
          prefill={config.prefill}
          onSignedIn={(signedIn) => {
            storeKey(signedIn);
            setKey(signedIn);
          }}
        />
      ) : (
        <SessionContext.Provider value={session}>
          <ClientContext.Provider value={client}>
            <Shell clientId={session.key.clientId} onSignOut={session.signOut}>
              <Router>
                <Route path="/" component={GroupsPage} />
                <Route path={PATHS.groups} component={GroupsPage} />
                <Route path={PATHS.group} component={GroupPage} />
                <Route path={PATHS.trend} component={TrendPage} />
                <Route path={PATHS.funnel} component={FunnelPage} />
                <Route path={PATHS.retention} component={RetentionPage} />
                <Route path={PATHS.lifecycle} component={LifecyclePage} />
                <Route path={PATHS.stickiness} component={StickinessPage} />
                <Route path="/insights" component={InsightsIndex} />
                <Route path={PATHS.cohorts} component={CohortsPage} />
                <Route path={PATHS.cohort} component={CohortPage} />
                <Route default component={NotFound} />
              </Router>
            </Shell>
          </ClientContext.Provider>
        </SessionContext.Provider>
      )}
    </LocationProvider>
  );
}

function Shell({
  clientId,
  onSignOut,
  children,
}: {
  clientId: string;
  onSignOut(): void;
  children: ComponentChildren;
}) {
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After a navigation, keyboard and screen-reader focus starts at the new page's content.
  useEffect(() => {
    if (first.current) first.current = false;
    else main.current?.focus({ preventScroll: false });
  }, [path]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={PATHS.groups}>
          groupgraph
        </a>
        <nav aria-label="Main">
          <ul>
            {NAVIGATION.map((item) => (
              <li>
                <a href={item.href} aria-current={item.current(path) ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class="muted" title={clientId}>
            key {clientId.slice(0, 8)}…
          </span>
          <a href="/graphql">GraphiQL</a>
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function InsightsIndex() {
  const { route } = useLocation();
  useEffect(() => route(PATHS.trend, true), []);
  return null;
}

function NotFound() {
  useTitle('Not found');
  return (
    <>
      <h1>Not found</h1>
      <p>
        The dashboard has no page here. <a href={PATHS.groups}>Groups</a>
      </p>
    </>
  );
}
