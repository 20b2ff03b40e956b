export const DASHBOARD_SOURCES: string[];
export const DASHBOARD_OUTDIR: string;
export const DASHBOARD_MANIFEST: string;

export interface DashboardManifest {
  /** The script, relative to dist/web (assets/main-<hash>.js). */
  script: string;
  stylesheet: string;
}

export interface DashboardFile {
  /** Relative to dist/web, with forward slashes. */
  path: string;
  contents: Uint8Array;
}

/**
 * Bundles src/web; writes dist/web when `write` is true. `documents`: the typed
 * documents of src/sdk/generated (default when present) or, without dev
 * dependencies, the operations' text from schema/operations.
 */
export function buildDashboard(options: {
  root: string;
  write: boolean;
  documents?: 'generated' | 'operations';
}): Promise<{ manifest: DashboardManifest; files: DashboardFile[] }>;
