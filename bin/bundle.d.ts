/** Whether `bundle` exists and no file under `sources` changed after it was built. */
export function bundleIsCurrent(bundle: string, sources: string): boolean;
