// Whether the bundle `npm install` builds (scripts/build.mjs) may run: it
// exists and no file under the sources changed after it was built.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** @param {string} bundle the bundle's path @param {string} sources the source directory */
export function bundleIsCurrent(bundle, sources) {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  return readdirSync(sources, { recursive: true, withFileTypes: true }).every(
    (entry) => !entry.isFile() || statSync(path.join(entry.parentPath, entry.name)).mtimeMs <= built,
  );
}
