// Bundles the server and CLI (src/cli/main.ts and everything it imports from
// src/) into dist/cli/main.js, so `groupgraph` runs plain JavaScript instead of
// compiling TypeScript on the fly: no loader thread, no compile cache, about
// 80 MB less memory and a faster start. Dependencies stay in node_modules.
// Runs from `npm run generate` (after the Prisma client it bundles exists).
// Then the dashboard's browser bundle into dist/web (scripts/build-dashboard.mjs),
// and the SDK (groupgraph/client) into dist/sdk (scripts/build-sdk.mjs).
//
// bin/groupgraph.js uses the bundle only while it is newer than every file in
// src/, and falls back to the TypeScript sources otherwise, so an edit is never
// shadowed by a stale build. dist/cli/ sits as deep as src/cli/: paths the code
// resolves from import.meta.url (prisma/migrations, schema/) stay the same.
import { rm } from 'node:fs/promises';

import { build } from 'esbuild';

import { buildDashboard } from './build-dashboard.mjs';
import { buildSdk } from './build-sdk.mjs';

await rm(new URL('../dist/cli', import.meta.url).pathname, { recursive: true, force: true });
await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outdir: new URL('../dist/cli', import.meta.url).pathname,
  // The commands import what they need when they run (src/cli/main.ts): split
  // chunks keep that lazy in the bundle, so `--help` loads no database driver or
  // schema. Chunks sit next to main.js, as deep as src/cli/.
  splitting: true,
  chunkNames: '[name]-[hash]',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});

await buildDashboard({ root: new URL('..', import.meta.url).pathname, write: true });

const sdk = await buildSdk({ root: new URL('..', import.meta.url).pathname });
if (!sdk.built) console.log(`Not building the SDK (groupgraph/client): ${sdk.reason}.`);
