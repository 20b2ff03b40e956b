import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The embedded database's directory holds key hashes (in tables and in the
 * WAL) and the development root key: readable by this user only. The
 * directory is created 0700 — which alone keeps other users out of everything
 * below it — and what is in it already is brought to 0700 (directories) and
 * 0600 (files) with a warning, since that means it was readable by others
 * until now. PGlite writes its files 0666 whatever the umask and has no mode
 * option, so `tightenDataDir` runs again after it opened and when it closes.
 */
export function secureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Files PGlite left 0666 inside a 0700 directory (after a crash) were never
  // reachable by others: tighten them quietly; warn only if the door was open.
  const wasOpen = (statSync(dataDir).mode & 0o077) !== 0;
  const fixed = tighten(dataDir);
  if (wasOpen && fixed > 0) {
    console.warn(
      `DATA_DIR ${dataDir}: ${fixed} files or directories were readable by other users; now readable by this user only (0700 directories, 0600 files)`,
    );
  }
}

/** Brings everything under dataDir to 0700/0600 without a word (files PGlite just wrote). */
export function tightenDataDir(dataDir: string): void {
  tighten(dataDir);
}

/** chmods what is too open under `target`, itself included; returns how many it changed. */
function tighten(target: string): number {
  const stat = lstatSync(target);
  if (stat.isSymbolicLink()) return 0;
  let fixed = 0;
  const wanted = stat.isDirectory() ? 0o700 : 0o600;
  if ((stat.mode & 0o777) !== wanted && (stat.mode & 0o077) !== 0) {
    chmodSync(target, wanted);
    fixed++;
  }
  if (stat.isDirectory()) {
    for (const entry of readdirSync(target)) fixed += tighten(path.join(target, entry));
  }
  return fixed;
}
