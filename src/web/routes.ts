// The dashboard's pages. Shared by the browser's router and the server, which
// answers every one of these paths with the app (a shared link opens the page it
// names) and leaves every other path (/graphql, /track, /health…) alone.
// A new page: its path here (a new section also in isAppPath and APP_HREF), a
// <Route> and, when it belongs in the header, an entry of NAVIGATION in app.tsx.

export const PATHS = {
  groups: '/groups',
  group: '/groups/:id',
  trend: '/insights/trend',
  funnel: '/insights/funnel',
  retention: '/insights/retention',
  lifecycle: '/insights/lifecycle',
  stickiness: '/insights/stickiness',
  cohorts: '/cohorts',
  cohort: '/cohorts/:id',
} as const;

/** The URL of one cohort's page. */
export function cohortPath(id: string): string {
  return `/cohorts/${encodeURIComponent(id)}`;
}

/** The URL of one group's page. */
export function groupPath(id: string): string {
  return `/groups/${encodeURIComponent(id)}`;
}

/** Whether the server answers this path with the app: `/` and the sections above, with anything below them. */
export function isAppPath(pathname: string): boolean {
  return /^\/(?:(?:groups|insights|cohorts)(?:\/.*)?)?$/.test(pathname);
}

/** Links the router handles in the page (others, like /graphql, load normally): paths as above, with a query. */
export const APP_HREF = /^\/(?:(?:groups|insights|cohorts)(?:[/?#]|$)|[?#]|$)/;

/** Bundled scripts and stylesheets, named by their content hash. */
export const ASSETS_PREFIX = '/assets/';
