import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

import { parse, print, stripIgnoredCharacters } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildDashboard } from '../scripts/build-dashboard.mjs';
import { createApp } from '../src/http/app.ts';
import { isLocalRequest, isLoopbackAddress } from '../src/http/loopback.ts';
import { listen, type RunningServer } from '../src/http/server.ts';
import { KeyService, type CreatedKey } from '../src/services/keys.ts';
import { parseSse } from '../src/web/live.ts';
import { PAGE_CONFIG_ID, type PageConfig } from '../src/web/pageConfig.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

// The dashboard's HTTP side: which paths get the app, how its assets are
// cached and compressed, and who gets the development key. The pages
// themselves run in Chromium in dashboard.browser.test.ts.
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http rather than fetch: the test sets Host and reads the bytes as sent (gzip included). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function pageConfig(html: string): PageConfig {
  const match = html.match(new RegExp(`<script type="application/json" id="${PAGE_CONFIG_ID}">(.*?)</script>`));
  expect(match, 'the page carries its config element').not.toBeNull();
  return JSON.parse(match![1]!) as PageConfig;
}

function assetPaths(html: string): { script: string; stylesheet: string } {
  return {
    script: html.match(/<script type="module" src="([^"]+)"/)![1]!,
    stylesheet: html.match(/<link rel="stylesheet" href="([^"]+)"/)![1]!,
  };
}

describe('the dashboard over HTTP', () => {
  let db: TestDatabase;
  let key: CreatedKey;
  let dev: RunningServer;
  let production: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    key = await new KeyService(db.prisma).create('dashboard', 'root');
    const graphiqlHeaders = { 'openpanel-client-id': key.clientId, 'openpanel-client-secret': key.clientSecret };
    dev = await listen(createApp({ database: db, production: false, graphiqlHeaders }), 0, '127.0.0.1');
    production = await listen(createApp({ database: db, production: true, graphiqlHeaders }), 0, '127.0.0.1');
  });
  afterAll(async () => {
    await dev?.close();
    await production?.close();
    await db?.dispose();
  });

  it('/ and the app paths, with their queries, get the page; it names hashed assets and loads nothing from elsewhere', async () => {
    for (const path of [
      '/',
      '/groups',
      '/groups/org_acme%2Fx?range=7d',
      '/insights/trend?metric=EVENTS',
      '/insights',
      '/insights/funnel?steps=login,signup&unit=GROUP&type=company',
      '/insights/retention',
      '/cohorts',
      '/cohorts/c1?after=x',
    ]) {
      const response = await get(`${dev.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      const html = response.body.toString('utf8');
      const { script, stylesheet } = assetPaths(html);
      expect(script).toMatch(/^\/assets\/main-[A-Z0-9]+\.js$/);
      expect(stylesheet).toMatch(/^\/assets\/main-[A-Z0-9]+\.css$/);
      // Every URL in the page is this server's (or an empty data: icon).
      for (const url of html.match(/(?:src|href)="([^"]*)"/g) ?? []) expect(url).toMatch(/="(\/|data:,)/);
    }
  });

  it('the script and stylesheet: right types, cached for a year by content hash, gzipped when asked, 304 on a match', async () => {
    const html = (await get(`${dev.url}/`)).body.toString('utf8');
    const { script, stylesheet } = assetPaths(html);
    const plain = await get(`${dev.url}${script}`);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('accept-encoding');
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);

    const gzipped = await get(`${dev.url}${script}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
    // The budget for the whole app's JavaScript, as browsers download it.
    expect(gzipped.body.length).toBeLessThan(300 * 1024);

    const etag = String(plain.headers.etag);
    const again = await get(`${dev.url}${script}`, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    const head = await get(`${dev.url}${stylesheet}`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(head.body.length).toBe(0);

    expect((await get(`${dev.url}/assets/main-NOPE.js`)).status).toBe(404);
    expect((await get(`${dev.url}/assets/../package.json`)).status).toBe(404);
  });

  it('serves the bundle of the current sources (dist/web when current, else rebuilt in memory)', async () => {
    const html = (await get(`${dev.url}/`)).body.toString('utf8');
    const { script, stylesheet } = assetPaths(html);
    const { manifest, files } = await buildDashboard({ root: ROOT, write: false });
    expect(script).toBe(`/${manifest.script}`);
    expect(stylesheet).toBe(`/${manifest.stylesheet}`);
    const built = files.find((f) => f.path === manifest.script)!;
    expect((await get(`${dev.url}${script}`)).body.equals(Buffer.from(built.contents))).toBe(true);
  });

  it('leaves the other paths alone: GraphiQL at /graphql, /health, the API, and unknown paths', async () => {
    const graphiql = await get(`${dev.url}/graphql`, { accept: 'text/html' });
    expect(graphiql.status).toBe(200);
    expect(graphiql.body.toString('utf8')).toMatch(/graphiql/i);
    expect(graphiql.body.toString('utf8')).not.toContain(PAGE_CONFIG_ID);
    expect((await get(`${dev.url}/health`)).status).toBe(200);
    expect((await get(`${dev.url}/nothing-here`)).status).toBe(404);
    expect((await get(`${dev.url}/groupsx`)).status).toBe(404);
    expect((await get(`${dev.url}/`, {}, 'POST')).status).toBe(404);
  });

  it('prefills the development key only for a browser on this machine, addressing it as such, outside production', async () => {
    const prefilled = pageConfig((await get(`${dev.url}/groups`)).body.toString('utf8'));
    expect(prefilled).toEqual({ prefill: { clientId: key.clientId, clientSecret: key.clientSecret } });
    const port = new URL(dev.url).port;
    expect(pageConfig((await get(`${dev.url}/`, { host: `localhost:${port}` })).body.toString('utf8'))).toEqual(
      prefilled,
    );

    // Relayed by a proxy on this host: the browser may be anywhere.
    for (const header of ['x-forwarded-for', 'x-real-ip', 'forwarded']) {
      const relayed = await get(`${dev.url}/`, {
        [header]: header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9',
      });
      expect(pageConfig(relayed.body.toString('utf8')), header).toEqual({});
    }
    // A page whose own name resolves to 127.0.0.1 (DNS rebinding) reads the server under that name.
    const rebound = await get(`${dev.url}/`, { host: `attacker.example:${port}` });
    expect(pageConfig(rebound.body.toString('utf8'))).toEqual({});
    const body = rebound.body.toString('utf8');
    expect(body).not.toContain(key.clientSecret);

    const inProduction = (await get(`${production.url}/`)).body.toString('utf8');
    expect(pageConfig(inProduction)).toEqual({});
    expect(inProduction).not.toContain(key.clientSecret);
  });

  it('loopback addresses and local requests', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '::FFFF:127.0.0.1'])
      expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '203.0.113.9', '::', '127.example', '::2'])
      expect(isLoopbackAddress(address), String(address)).toBe(false);
    const local = (host: string, extra: Record<string, string> = {}) =>
      new Request('http://x/', { headers: { host, ...extra } });
    expect(isLocalRequest(local('localhost:4000'), '127.0.0.1')).toBe(true);
    expect(isLocalRequest(local('[::1]:4000'), '::1')).toBe(true);
    expect(isLocalRequest(local('127.0.0.1'), '::ffff:127.0.0.1')).toBe(true);
    expect(isLocalRequest(local('localhost:4000'), '192.168.1.20')).toBe(false);
    expect(isLocalRequest(local('localhost.attacker.example'), '127.0.0.1')).toBe(false);
    expect(isLocalRequest(local('localhost:4000', { 'x-forwarded-for': '1.2.3.4' }), '127.0.0.1')).toBe(false);
  });
});

describe('the dashboard bundle', () => {
  it('without dev dependencies (no graphql-codegen output) it takes each operation from schema/operations', async () => {
    const { manifest, files } = await buildDashboard({ root: ROOT, write: false, documents: 'operations' });
    const script = Buffer.from(files.find((f) => f.path === manifest.script)!.contents).toString('utf8');
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = `${ROOT}/schema/operations`;
    const used = [
      'DashboardSession',
      'DashboardGroups',
      'DashboardGroup',
      'EventAggregation',
      'DashboardFunnel',
      'FunnelStepUnits',
      'Retention',
      'Lifecycle',
      'Stickiness',
      'DashboardCohorts',
      'DashboardCohort',
      'DashboardLiveEvents',
    ];
    for (const file of readdirSync(dir)) {
      for (const definition of parse(readFileSync(`${dir}/${file}`, 'utf8')).definitions) {
        if (definition.kind !== 'OperationDefinition' || !used.includes(definition.name!.value)) continue;
        expect(script, definition.name!.value).toContain(stripIgnoredCharacters(print(definition)));
      }
    }
  });
});

describe('the live feed: its Server-Sent Events parser', () => {
  const stream = [
    ': keep-alive',
    '',
    'event: next',
    'data: {"data":{"events":{"id":"e1"}}}',
    '',
    'event: next',
    'data: {"data":',
    'data: {"events":{"id":"e2"}}}',
    '',
    'event: complete',
    'data:',
    '',
    '',
  ].join('\r\n');

  it('gives the same messages however the stream is cut into chunks', () => {
    const whole = parseSse(stream);
    expect(whole.rest).toBe('');
    expect(whole.messages).toEqual([
      { event: 'next', data: '{"data":{"events":{"id":"e1"}}}' },
      { event: 'next', data: '{"data":\n{"events":{"id":"e2"}}}' },
      { event: 'complete', data: '' },
    ]);
    for (let cut = 1; cut < stream.length; cut++) {
      const first = parseSse(stream.slice(0, cut));
      const second = parseSse(first.rest + stream.slice(cut));
      expect([...first.messages, ...second.messages], `cut at ${cut}`).toEqual(whole.messages);
    }
  });
});
