import { existsSync } from 'node:fs';

import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../src/http/app.ts';
import { listen, type RunningServer } from '../src/http/server.ts';
import { KeyService, type CreatedKey } from '../src/services/keys.ts';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';

// GraphiQL at /graphql renders in a real headless Chromium with no request
// leaving the server (its assets are inline in the page), with the development
// key prefilled for a browser on this machine.
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const skipReason = !existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`
  : engine !== 'pglite'
    ? 'runs in the pglite project only'
    : '';
if (skipReason) console.warn(`graphiql.browser.test.ts skipped: ${skipReason}`);

describe.skipIf(Boolean(skipReason))('GraphiQL in Chromium, offline', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let server: RunningServer;
  let browser: Browser;
  let key: CreatedKey;

  beforeAll(async () => {
    db = await createTestDatabase();
    key = await new KeyService(db.prisma).create('graphiql', 'root');
    const graphiqlHeaders = { 'openpanel-client-id': key.clientId, 'openpanel-client-secret': key.clientSecret };
    server = await listen(createApp({ database: db, production: false, graphiqlHeaders }), 0, '127.0.0.1');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.dispose();
  });

  it('renders from the server alone, titled, with the key prefilled, and runs a query', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(server.url) && !url.startsWith('data:') && !url.startsWith('blob:')) outside.push(url);
    });
    await page.goto(`${server.url}/graphql`, { waitUntil: 'commit', timeout: 120_000 });
    await expect.poll(() => page.title(), { timeout: 60_000 }).toBe('groupgraph');
    await page.locator('.graphiql-container').first().waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.locator('.graphiql-query-editor').first().innerText(), { timeout: 60_000 })
      .toContain('CreateAcme');

    // The headers tab holds the development key.
    await page.getByText('Headers', { exact: true }).first().click();
    await expect
      .poll(() => page.locator('.graphiql-editor-tool').first().textContent(), { timeout: 30_000 })
      .toContain(key.clientId);

    // Run an operation through the page's own fetch: it reaches this server with the key.
    const status = await page.evaluate(
      async (headers) => {
        const response = await fetch('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: '{ groupTypes { type } }' }),
        });
        return response.status;
      },
      { 'openpanel-client-id': key.clientId, 'openpanel-client-secret': key.clientSecret },
    );
    expect(status).toBe(200);
    expect(outside).toEqual([]);
    await page.close();
  });
});
