// Serves the dashboard (src/web): `GET /` and the app's own paths get the HTML
// page, /assets/* the bundled script and stylesheet. The bundle is the one
// `npm install` built into dist/web while it is newer than the sources; after an
// edit it is rebuilt in memory on the first request, so a stale build never
// shadows the code (as with the server's own bundle, see bin/groupgraph.js).
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import type { Plugin } from 'graphql-yoga';

import { bundleIsCurrent } from '../../bin/bundle.js';
import {
  buildDashboard,
  DASHBOARD_MANIFEST,
  DASHBOARD_OUTDIR,
  DASHBOARD_SOURCES,
  type DashboardFile,
  type DashboardManifest,
} from '../../scripts/build-dashboard.mjs';
import { PAGE_CONFIG_ID, type PageConfig } from '../web/pageConfig.ts';
import { ASSETS_PREFIX, isAppPath } from '../web/routes.ts';
import { isLocalRequest } from './loopback.ts';

// src/http and dist/cli sit equally deep, so this holds in the bundle too.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface DashboardOptions {
  production: boolean;
  /**
   * The development root key's headers (those GraphiQL starts with). Outside
   * production they prefill the sign-in form, for browsers on this machine only.
   */
  bootstrapHeaders?: Record<string, string>;
}

interface Asset {
  body: Uint8Array;
  gzipped: Uint8Array;
  type: string;
  etag: string;
}

interface Bundle {
  manifest: DashboardManifest;
  assets: Map<string, Asset>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// Everything the page loads comes from this server; no inline script runs (the
// page's config is JSON in a non-executed script element).
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The page may carry the development key: never stored by a cache.
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function toAsset(file: DashboardFile): Asset {
  return {
    body: file.contents,
    gzipped: gzipSync(file.contents, { level: 9 }),
    type: CONTENT_TYPES[path.extname(file.path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(file.contents).digest('base64url').slice(0, 22)}"`,
  };
}

async function loadBundle(): Promise<Bundle> {
  const outdir = path.join(ROOT, DASHBOARD_OUTDIR);
  const manifestFile = path.join(outdir, DASHBOARD_MANIFEST);
  let manifest: DashboardManifest;
  let files: DashboardFile[];
  if (DASHBOARD_SOURCES.every((dir) => bundleIsCurrent(manifestFile, path.join(ROOT, dir)))) {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as DashboardManifest;
    const names = await readdir(path.join(outdir, 'assets'));
    files = await Promise.all(
      names.map(async (name) => ({
        path: `assets/${name}`,
        contents: await readFile(path.join(outdir, 'assets', name)),
      })),
    );
  } else {
    console.info('The dashboard changed since its last build: bundling it in memory (npm run build writes dist/web).');
    ({ manifest, files } = await buildDashboard({ root: ROOT, write: false }));
  }
  return { manifest, assets: new Map(files.map((file) => [`/${file.path}`, toAsset(file)])) };
}

function escapeJson(value: unknown): string {
  // Inside <script>, "</script>" or "<!--" in a value must not end or confuse the element.
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function page(manifest: DashboardManifest, config: PageConfig): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>groupgraph</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/${manifest.stylesheet}">
<script type="module" src="/${manifest.script}"></script>
</head>
<body>
<div id="app"><noscript>The groupgraph dashboard needs JavaScript. The API is at <a href="/graphql">/graphql</a>.</noscript></div>
<script type="application/json" id="${PAGE_CONFIG_ID}">${escapeJson(config)}</script>
</body>
</html>
`;
}

function notFound(): Response {
  return new Response('Not found\n', {
    status: 404,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
  });
}

function assetResponse(request: Request, asset: Asset): Response {
  const headers: Record<string, string> = {
    'content-type': asset.type,
    // Names carry a content hash: a changed file is a new URL.
    'cache-control': 'public, max-age=31536000, immutable',
    etag: asset.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
  };
  if (request.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers });
  const gzip = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
  const body = gzip ? asset.gzipped : asset.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.byteLength);
  // The bytes are never shared memory (esbuild's output, a file, gzip's result).
  return new Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers });
}

/** The dashboard's routes, as a yoga plugin placed before the GraphQL handler. */
export function dashboardRoutes(options: DashboardOptions): Plugin {
  let bundle: Promise<Bundle> | undefined;
  const loaded = () => {
    bundle ??= loadBundle().catch((error: unknown) => {
      bundle = undefined; // a later request tries again (e.g. after a syntax error is fixed)
      throw error;
    });
    return bundle;
  };
  const clientId = options.bootstrapHeaders?.['openpanel-client-id'];
  const clientSecret = options.bootstrapHeaders?.['openpanel-client-secret'];
  const prefill = !options.production && clientId && clientSecret ? { clientId, clientSecret } : undefined;

  return {
    async onRequest({ url, request, serverContext, endResponse }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const isAsset = url.pathname.startsWith(ASSETS_PREFIX);
      if (!isAsset && !isAppPath(url.pathname)) return;
      let current: Bundle;
      try {
        current = await loaded();
      } catch (error) {
        console.error('The dashboard could not be built:', error);
        return endResponse(
          new Response('The dashboard could not be built; the server log says why. The API is at /graphql.\n', {
            status: 503,
            headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '5' },
          }),
        );
      }
      if (isAsset) {
        const asset = current.assets.get(url.pathname);
        return endResponse(asset ? assetResponse(request, asset) : notFound());
      }
      const remoteAddress = (serverContext as { req?: { socket?: { remoteAddress?: string } } }).req?.socket
        ?.remoteAddress;
      const config: PageConfig = prefill && isLocalRequest(request, remoteAddress) ? { prefill } : {};
      endResponse(
        new Response(request.method === 'HEAD' ? null : page(current.manifest, config), {
          status: 200,
          headers: PAGE_HEADERS,
        }),
      );
    },
  };
}
