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
import { build } from 'esbuild';

import { buildDashboard } from './build-dashboard.mjs';
import { buildSdk } from './build-sdk.mjs';

await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outfile: new URL('../dist/cli/main.js', import.meta.url).pathname,
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
