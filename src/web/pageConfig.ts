// What the server tells the app in the HTML page it serves: a JSON script
// element, read once at start. Shared by both sides.

export const PAGE_CONFIG_ID = 'groupgraph-dashboard-config';

export interface Key {
  clientId: string;
  clientSecret: string;
}

export interface PageConfig {
  /**
   * The sign-in form's prefill: the development root key, sent only outside
   * production and only to a browser on this machine (a loopback address).
   */
  prefill?: Key;
}

/** Reads the page's config; an absent or broken element means none. */
export function readPageConfig(document: Document): PageConfig {
  try {
    return JSON.parse(document.getElementById(PAGE_CONFIG_ID)?.textContent || '{}') as PageConfig;
  } catch {
    return {};
  }
}
