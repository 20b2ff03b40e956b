import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { engine } from './helpers/db.ts';
import { runCli, startServer, type ServerProcess } from './helpers/process.ts';

// Every page of the dashboard in a real headless Chromium (Debian's package),
// against a real server process on an embedded database: first a fresh install,
// then the same data directory after `groupgraph seed --demo --events 20000`.
// Each test checks what the page says, that its charts are drawn with data, that
// the page logged no error, and that no request went anywhere but the server.
//
// pglite project only: the dashboard speaks GraphQL to a server process, which
// runs the same code on either engine, and the API's engine parity is what the
// other test files check; a second seeded server would double this file's time.
//
// Screenshots go to a temporary folder; UPDATE_SCREENSHOTS=1 writes them to
// docs/screenshots (committed, shown in README) instead.

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const skipReason = !hasChromium
  ? `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`
  : engine !== 'pglite'
    ? 'runs in the pglite project only'
    : '';
if (skipReason) console.warn(`dashboard.browser.test.ts skipped: ${skipReason}`);

// Generous: this file shares two cores with the rest of the suite.
const WAIT_MS = 30_000;
const poll = <T>(value: () => T | Promise<T>) => expect.poll(value, { timeout: WAIT_MS, interval: 100 });

const PRIMARY: [number, number, number] = [0x25, 0x63, 0xeb]; // the first series' colour (PALETTE[0])

interface Key {
  clientId: string;
  clientSecret: string;
}

describe.skipIf(Boolean(skipReason))('the dashboard in Chromium', { timeout: 4 * WAIT_MS }, () => {
  // One folder for the server's data, Chromium's profile and (unless kept) the screenshots.
  let dir = '';
  let shots = '';
  let env: Record<string, string> = {};
  let context: BrowserContext;
  let server: ServerProcess | undefined;
  let bootstrap: Key;
  // Per test: page errors and console errors, requests that left the server.
  let errors: string[] = [];
  let allowedConsoleErrors: RegExp[] = [];
  let outside: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'groupgraph-dashboard-'));
    env = { DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '', NODE_ENV: 'development' };
    shots = process.env.UPDATE_SCREENSHOTS ? path.join(ROOT, 'docs', 'screenshots') : path.join(dir, 'shots');
    mkdirSync(shots, { recursive: true });
    context = await chromium.launchPersistentContext(path.join(dir, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context.on('request', (request) => {
      const url = request.url();
      if (url.startsWith('data:')) return; // inline, never sent
      if (!server || new URL(url).origin !== new URL(server.url).origin) outside.push(url);
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(errors, 'page errors and console errors').toEqual([]);
    expect(outside, 'requests that left the server').toEqual([]);
    errors = [];
    outside = [];
    allowedConsoleErrors = [];
  });

  async function newPage(): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      if (!allowedConsoleErrors.some((allowed) => allowed.test(message.text())))
        errors.push(`console: ${message.text()}`);
    });
    return page;
  }

  /** Signs in through the form (with the prefilled key unless another is given) on `path`. */
  async function signedIn(urlPath: string, key?: Key): Promise<Page> {
    const page = await newPage();
    await page.goto(`${server!.url}${urlPath}`);
    if (key) {
      await page.getByLabel('Client id', { exact: true }).fill(key.clientId);
      await page.getByLabel('Client secret', { exact: true }).fill(key.clientSecret);
    }
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    return page;
  }

  /** How many pixel rows of the canvas hold the colour: a line with data spans many, a flat or empty one few. */
  function rowsIn(canvas: Locator, [r, g, b]: [number, number, number]): Promise<number> {
    return canvas.evaluate(
      (element, [r, g, b]) => {
        const c = element as HTMLCanvasElement;
        const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const rows = new Set<number>();
        for (let i = 0; i < pixels.length; i += 4) {
          const near = Math.abs(pixels[i]! - r) < 40 && Math.abs(pixels[i + 1]! - g) < 40;
          if (near && Math.abs(pixels[i + 2]! - b) < 40 && pixels[i + 3]! > 200) rows.add(Math.floor(i / 4 / c.width));
        }
        return rows.size;
      },
      [r, g, b] as [number, number, number],
    );
  }

  function graphqlPosts(page: Page): { count: number; statuses: number[] } {
    const seen = { count: 0, statuses: [] as number[] };
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') seen.count++;
    });
    page.on('response', (response) => {
      if (response.request().method() === 'POST' && new URL(response.url()).pathname === '/graphql')
        seen.statuses.push(response.status());
    });
    return seen;
  }

  describe('a fresh install', () => {
    beforeAll(async () => {
      server = await startServer(env, { timeoutMs: 120_000 });
      // Piped output does not show the secret; the key file has it.
      bootstrap = JSON.parse(readFileSync(path.join(env.DATA_DIR!, 'default-root-key.json'), 'utf8'));
      expect(server.output()).toContain(`Dashboard at ${server.url}/`);
    }, 150_000);
    afterAll(async () => {
      expect(await server?.stop()).toBe(0);
      server = undefined;
    });

    it('prefills the development key, then shows how to send a first event; the curl snippet works as shown', async () => {
      const page = await newPage();
      await page.goto(`${server!.url}/`);
      await poll(() => page.getByLabel('Client id', { exact: true }).inputValue()).toBe(bootstrap.clientId);
      expect(await page.getByLabel('Client secret', { exact: true }).inputValue()).toBe(bootstrap.clientSecret);
      await page.screenshot({ path: path.join(shots, 'sign-in.png') });
      await page.getByRole('button', { name: 'Sign in' }).click();

      const first = page.getByRole('region', { name: 'No events yet: send the first one' });
      await first.waitFor();
      const snippets = await first.locator('pre').allInnerTexts();
      expect(snippets.some((s) => s.includes(`curl -s ${server!.url}/graphql`))).toBe(true);
      expect(snippets.some((s) => s.includes(`new GroupGraph({ url: '${server!.url}'`))).toBe(true);
      expect(snippets.some((s) => s.includes(`new OpenPanel({ apiUrl: '${server!.url}'`))).toBe(true);
      await page.screenshot({ path: path.join(shots, 'first-event.png'), fullPage: true });

      // Run the curl snippet as a reader would, with the key in the variables it names.
      const curl = snippets.find((s) => s.startsWith('curl'))!;
      const { stdout } = await promisify(execFile)('bash', ['-c', curl], {
        env: { ...process.env, CLIENT_ID: bootstrap.clientId, CLIENT_SECRET: bootstrap.clientSecret },
      });
      expect(JSON.parse(stdout).data.track.event.groupIds).toEqual(['org_acme']);

      await page.getByRole('button', { name: 'Check again' }).click();
      await first.waitFor({ state: 'detached' });
      // The event's group exists now, as a placeholder (no type or name yet).
      const row = page.getByRole('row', { name: /org_acme/ });
      await poll(() => row.innerText()).toMatch(/placeholder/);
      await page.close();
    });
  });

  describe('with demo data', () => {
    let read: Key;
    let write: Key;

    beforeAll(async () => {
      const seeded = await runCli(['seed', '--demo', '--events', '20000'], env);
      expect(seeded.code, seeded.stderr).toBe(0);
      server = await startServer(env, { timeoutMs: 120_000 });
      const created = async (mode: string) => {
        const result = await runCli(['keys', 'create', '--project', 'default', '--mode', mode, '--json'], env);
        expect(result.code, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as Key;
      };
      read = await created('read');
      write = await created('write');
    }, 300_000);

    it('refuses a write key and a wrong secret with clear messages; a read key signs in', async () => {
      allowedConsoleErrors = [/status of 401/]; // the wrong secret's answer
      const page = await newPage();
      await page.goto(`${server!.url}/insights/trend?metric=UNIQUE_GROUPS`);
      const alert = page.getByRole('alert');

      await page.getByLabel('Client id', { exact: true }).fill(write.clientId);
      await page.getByLabel('Client secret', { exact: true }).fill(write.clientSecret);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await poll(() => alert.innerText()).toContain('This is a write key');
      expect(await alert.innerText()).toContain('--mode read');

      await page.getByLabel('Client id', { exact: true }).fill(read.clientId);
      await page.getByLabel('Client secret', { exact: true }).fill(`${read.clientSecret}x`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await poll(() => alert.innerText()).toContain('No key has this client id and secret');

      await page.getByLabel('Client secret', { exact: true }).fill(read.clientSecret);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The link it was opened with still holds: signed in on that page, with its state.
      await page.getByRole('heading', { name: 'Trend', level: 1 }).waitFor();
      expect(await page.getByLabel('Count', { exact: true }).inputValue()).toBe('UNIQUE_GROUPS');
      await page.close();
    });

    it('Groups: members, last activity and a drawn 30-day sparkline per row from three requests; filter, search and pages in the URL', async () => {
      const page = await newPage();
      const posts = graphqlPosts(page);
      await page.goto(`${server!.url}/groups`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const rows = page.locator('table.groups tbody tr');
      await poll(() => rows.count()).toBe(25);
      await poll(() => page.locator('.sparkline canvas').count()).toBe(25);
      // Sign-in check, then the page: session, groups, one aggregation for all 25 sparklines.
      expect(posts.count).toBe(1 + 3);

      const cells = await rows.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c as HTMLElement).innerText.trim())),
      );
      // name+id, type, members, last active, events in 30 days, sparkline
      for (const [, , members] of cells) expect(members).toMatch(/^\d[\d,]*$/);
      const busiest = cells.reduce((a, b) =>
        Number(b[4]!.replace(/,/g, '')) > Number(a[4]!.replace(/,/g, '')) ? b : a,
      );
      expect(Number(busiest[4]!.replace(/,/g, ''))).toBeGreaterThan(0);
      const busiestIndex = cells.indexOf(busiest);
      expect(await rowsIn(rows.nth(busiestIndex).locator('.sparkline canvas'), PRIMARY)).toBeGreaterThan(5);
      expect(await rows.nth(busiestIndex).locator('.sparkline').getAttribute('aria-label')).toMatch(
        /events in the last 30 days/,
      );
      await page.screenshot({ path: path.join(shots, 'groups.png'), fullPage: true });

      // The numbers behind the sparklines: one row per day.
      await page.getByRole('button', { name: 'Show numbers' }).click();
      const numbers = page.getByRole('table', { name: 'Events per day, last 30 days' });
      expect(await numbers.locator('tbody tr').count()).toBe(30);

      await page.getByLabel('Type', { exact: true }).selectOption('company');
      await poll(() => new URL(page.url()).searchParams.get('type')).toBe('company');
      await poll(async () => new Set(await rows.locator('td:nth-child(2)').allInnerTexts())).toEqual(
        new Set(['company']),
      );

      await page.getByRole('link', { name: 'Next' }).click();
      await poll(() => new URL(page.url()).searchParams.has('after')).toBe(true);
      await poll(() => rows.count()).toBe(35 - 25); // the demo's 35 companies
      await page.getByRole('link', { name: 'Previous' }).click();
      await poll(() => rows.count()).toBe(25);

      await page.getByLabel('Search', { exact: true }).fill('inc');
      await poll(() => new URL(page.url()).searchParams.get('q')).toBe('inc');
      await poll(async () => (await rows.locator('th').allInnerTexts()).every((t) => /inc/i.test(t))).toBe(true);
      // The whole state is in the URL: opened afresh, the page shows the same.
      const shared = page.url();
      await page.goto(shared);
      expect(await page.getByLabel('Type', { exact: true }).inputValue()).toBe('company');
      expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('inc');
      await page.close();
    });

    it('Group: stats, activity and member charts drawn, top events, members with joined and left; reached by keyboard', async () => {
      const page = await signedIn('/groups?type=company');
      const rows = page.locator('table.groups tbody tr');
      await poll(() => page.locator('.sparkline canvas').count()).toBe(25);
      const totals = (await rows.locator('td:nth-child(5)').allInnerTexts()).map((t) => Number(t.replace(/,/g, '')));
      const busiest = rows.nth(totals.indexOf(Math.max(...totals)));
      const name = await busiest.locator('th a').innerText();

      // Keyboard: the skip link comes first, then the link to the group opens on Enter.
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      await busiest.locator('th a').focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name }).waitFor();
      expect(new URL(page.url()).pathname).toMatch(/^\/groups\/org_/);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

      const summary = page.getByRole('region', { name: 'Summary' });
      const stat = (label: string) => summary.locator('dt', { hasText: label }).locator('xpath=../dd').innerText();
      expect(Number((await stat('Events')).replace(/,/g, ''))).toBe(Math.max(...totals));
      expect(Number((await stat('Members')).replace(/,/g, ''))).toBeGreaterThan(0);

      const activity = page.getByRole('figure', { name: 'Activity' });
      const members = page.getByRole('figure', { name: 'Members' });
      await poll(() => rowsIn(activity.locator('canvas'), PRIMARY)).toBeGreaterThan(20);
      await poll(() => rowsIn(members.locator('canvas'), PRIMARY)).toBeGreaterThan(0);
      expect(await activity.getByRole('img').getAttribute('aria-label')).toMatch(/Events: [\d,]+ in total/);

      const top = page.getByRole('region', { name: 'Top events' });
      expect(await top.locator('tbody tr').count()).toBeGreaterThan(3);
      const memberRows = page.getByRole('region', { name: 'Members, past and present' }).locator('tbody tr');
      expect(await memberRows.count()).toBeGreaterThan(0);
      expect(await memberRows.first().locator('td').nth(1).innerText()).toMatch(/\d{4}/); // joined
      expect(await page.getByRole('region', { name: 'Latest events' }).locator('li').count()).toBe(10);
      await page.screenshot({ path: path.join(shots, 'group.png'), fullPage: true });

      await activity.getByRole('button', { name: 'Show numbers' }).click();
      const table = activity.getByRole('table', { name: 'Activity' });
      expect(await table.locator('tbody tr').count()).toBe(30);
      const events = (await table.locator('tbody tr td:nth-child(2)').allInnerTexts()).map((t) =>
        Number(t.replace(/,/g, '')),
      );
      expect(events.reduce((a, b) => a + b, 0)).toBe(Math.max(...totals));

      await page.getByLabel('Range', { exact: true }).selectOption('7d');
      await poll(() => new URL(page.url()).searchParams.get('range')).toBe('7d');
      await poll(() => table.locator('tbody tr').count()).toBe(7);
      await page.close();
    });

    it('Trend: metric, breakdown, interval and range, drawn, with totals and the numbers; the URL opens the same view', async () => {
      const page = await signedIn('/insights/trend?breakdown=EVENT_NAME');
      const figure = page.getByRole('figure');
      await poll(() => rowsIn(figure.locator('canvas'), PRIMARY)).toBeGreaterThan(20);
      const totals = page.getByRole('region', { name: /Over the range/ }).locator('tbody tr');
      expect(await totals.count()).toBeGreaterThan(3);
      await page.screenshot({ path: path.join(shots, 'trend.png'), fullPage: true });

      // Without breakdown, the total is the sum of the buckets.
      await page.getByLabel('Breakdown', { exact: true }).selectOption('NONE');
      await poll(() => new URL(page.url()).searchParams.has('breakdown')).toBe(false);
      await poll(() => totals.count()).toBe(1);
      await figure.getByRole('button', { name: 'Show numbers' }).click();
      const numbers = figure.locator('table.numbers'); // (uPlot's legend is a table too)
      await poll(() => numbers.locator('tbody tr').count()).toBe(30);
      const sum = (await numbers.locator('tbody td').allInnerTexts())
        .map((t) => Number(t.replace(/,/g, '')))
        .reduce((a, b) => a + b, 0);
      const heading = await page.getByRole('heading', { name: /Over the range/ }).innerText();
      expect(heading).toContain(sum.toLocaleString('en-US'));

      // Unique companies per week by plan, over 90 days.
      await page.getByLabel('Count', { exact: true }).selectOption('UNIQUE_GROUPS');
      await page.getByLabel('Group type', { exact: true }).selectOption('company');
      await page.getByLabel('Breakdown', { exact: true }).selectOption('GROUP_PROPERTY');
      await page.getByLabel('Property', { exact: true }).fill('plan');
      await page.getByLabel('Property', { exact: true }).press('Enter');
      await page.getByLabel('Range', { exact: true }).selectOption('90d');
      await page.getByLabel('Interval', { exact: true }).selectOption('WEEK');
      await poll(() => Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
        metric: 'UNIQUE_GROUPS',
        type: 'company',
        breakdown: 'GROUP_PROPERTY',
        property: 'plan',
        range: '90d',
        interval: 'WEEK',
      });
      await poll(async () => (await totals.locator('th').allInnerTexts()).map((t) => t.trim()).sort()).toEqual([
        'enterprise',
        'free',
        'pro',
      ]);

      const again = await signedIn(new URL(page.url()).pathname + new URL(page.url()).search);
      expect(await again.getByLabel('Count', { exact: true }).inputValue()).toBe('UNIQUE_GROUPS');
      expect(await again.getByLabel('Interval', { exact: true }).inputValue()).toBe('WEEK');
      await poll(() => rowsIn(again.getByRole('figure').locator('canvas'), PRIMARY)).toBeGreaterThan(5);
      await page.close();
      await again.close();
    });

    /** A GraphQL request to the server from the test itself (not the page). */
    async function gql<T>(key: Key, query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch(`${server!.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'openpanel-client-id': key.clientId,
          'openpanel-client-secret': key.clientSecret,
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown[] };
      expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
      return body.data!;
    }
    const number = (text: string) => Number(text.replace(/[^\d.]/g, ''));

    it('Funnel: steps editor, bars with conversion and drop-off, the accounts that dropped, the numbers; the URL opens the same view', async () => {
      const page = await signedIn('/insights/funnel?type=company&range=90d&steps=login,report_viewed');
      // Add a third step with the editor.
      await page.getByRole('button', { name: 'Add a step' }).click();
      await page.getByLabel('Step 3', { exact: true }).selectOption('report_exported');
      await poll(() => new URL(page.url()).searchParams.get('steps')).toBe('login,report_viewed,report_exported');

      const figure = page.getByRole('figure', { name: /through each step/ });
      const bars = figure.locator('.funnel-bar');
      await poll(() => bars.count()).toBe(3);
      const widths = await bars.evaluateAll((els) => els.map((e) => (e as HTMLElement).getBoundingClientRect().width));
      expect(widths[0]).toBeGreaterThan(100); // the first step's bar spans the track
      for (let i = 1; i < widths.length; i++) expect(widths[i]).toBeLessThanOrEqual(widths[i - 1]!);
      expect(widths[2]).toBeGreaterThan(0);

      // The numbers: counts never grow along the steps; drop-off = count - next count.
      await figure.getByRole('button', { name: 'Show numbers' }).click();
      const rows = figure.locator('table.numbers tbody tr');
      await poll(() => rows.count()).toBe(3);
      const table = await rows.evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td as HTMLElement).innerText)),
      );
      const counts = table.map((r) => number(r[0]!));
      const dropped = table.map((r) => number(r[3]!));
      expect(counts[0]).toBeGreaterThan(0);
      expect(dropped).toEqual([counts[0]! - counts[1]!, counts[1]! - counts[2]!, 0]);

      // Clicking the second step's drop-off lists the groups that stopped there.
      const button = figure.getByRole('button', { name: /dropped after step 2/ });
      expect(number((await button.innerText()).split(' dropped')[0]!)).toBe(dropped[1]);
      await button.click();
      await poll(() => new URL(page.url()).searchParams.get('dropped')).toBe('1');
      const list = page.getByRole('region', { name: /Dropped after step 2/ }).locator('li');
      await poll(() => list.count()).toBe(Math.min(dropped[1]!, 25));
      const href = await list.first().locator('a').getAttribute('href');
      expect(href).toMatch(/^\/groups\/org_/);
      await page.screenshot({ path: path.join(shots, 'funnel.png'), fullPage: true });

      // Opened afresh, the link shows the same funnel with the same list open.
      const again = await signedIn(new URL(page.url()).pathname + new URL(page.url()).search);
      await poll(() =>
        again
          .getByRole('region', { name: /Dropped after step 2/ })
          .locator('li')
          .count(),
      ).toBe(Math.min(dropped[1]!, 25));
      expect(await again.getByLabel('Step 3', { exact: true }).inputValue()).toBe('report_exported');
      await page.close();
      await again.close();
    });

    it('Funnel and retention keep the units of a saved cohort chosen on the page; the URL keeps it', async () => {
      const created = await gql<{ createCohort: { id: string; size: number } }>(
        bootstrap,
        `mutation { createCohort(input: { name: "Pro companies", unit: GROUP, groupType: "company",
          rules: [{ property: { key: "plan", op: EQ, value: "pro" } }] }) { id size } }`,
      );
      const { id, size } = created.createCohort;
      await gql(
        bootstrap,
        `mutation { createCohort(input: { name: "Profiles logging in", unit: PROFILE,
          rules: [{ performed: { eventName: "login", lastDays: 30 } }] }) { id } }`,
      );
      const page = await signedIn('/insights/funnel?type=company&range=90d&steps=login,report_viewed');
      const figure = page.getByRole('figure', { name: /through each step/ });
      await figure.getByRole('button', { name: 'Show numbers' }).click();
      const started = async () =>
        number(await figure.locator('table.numbers tbody tr').first().locator('td').first().innerText());
      await poll(started).toBeGreaterThan(0);
      const all = await started();
      // Only cohorts of companies are offered for companies.
      const select = page.getByLabel('Saved cohort', { exact: true });
      await poll(() => select.locator('option', { hasText: 'Pro companies' }).count()).toBe(1);
      expect(await select.locator('option', { hasText: 'Profiles logging in' }).count()).toBe(0);
      await select.selectOption(id);
      await poll(() => new URL(page.url()).searchParams.get('cohortId')).toBe(id);
      await poll(started).toBeLessThan(all);
      expect(await started()).toBeLessThanOrEqual(size);
      expect(await started()).toBeGreaterThan(0);

      const retention = await signedIn(
        `/insights/retention?type=company&interval=WEEK&periods=4&range=90d&cohortId=${id}`,
      );
      // The select shows the URL's cohort once the list of cohorts has come.
      await poll(() => retention.getByLabel('Saved cohort', { exact: true }).inputValue()).toBe(id);
      const rows = retention.locator('table.heatmap tbody tr');
      await poll(() => rows.count()).toBeGreaterThan(10);
      const sizes = await rows.evaluateAll((trs) =>
        trs.slice(1).map((tr) => Number((tr.querySelector('td') as HTMLElement).innerText.replace(/\D/g, ''))),
      );
      expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(size);
      await page.close();
      await retention.close();
    });

    it('Retention: a heat map per cohort with the unit switched between groups and profiles in the URL', async () => {
      const page = await signedIn('/insights/retention?type=company&interval=WEEK&periods=4&range=90d');
      const heatmap = page.locator('table.heatmap');
      const rows = heatmap.locator('tbody tr');
      await poll(() => rows.count()).toBeGreaterThan(10); // the average and 13 or 14 weekly cohorts
      // Every complete, non-empty cohort starts at 100%; cells are shaded by their share.
      const cells = await rows.evaluateAll((trs) =>
        trs.slice(1).map((tr) => ({
          size: Number((tr.querySelector('td') as HTMLElement).innerText.replace(/\D/g, '')),
          first: (tr.querySelectorAll('td')[1] as HTMLElement).innerText,
          complete: !tr.querySelectorAll('td')[1]!.classList.contains('incomplete'),
          shaded: (tr.querySelectorAll('td')[1] as HTMLElement).style.background !== '',
        })),
      );
      expect(cells.some((c) => c.size > 0)).toBe(true);
      for (const cell of cells.filter((c) => c.size > 0)) expect(cell.first).toBe('100.0%');
      expect(cells.filter((c) => c.size > 0 && c.complete).every((c) => c.shaded)).toBe(true);
      expect(await heatmap.locator('thead th').count()).toBe(2 + 5); // cohort, size, weeks 0-4
      await page.screenshot({ path: path.join(shots, 'retention.png'), fullPage: true });

      await page.getByLabel('Unit', { exact: true }).selectOption('PROFILE');
      await poll(() => new URL(page.url()).searchParams.get('unit')).toBe('PROFILE');
      await poll(() => page.getByRole('heading', { name: /Share of profiles coming back/ }).count()).toBe(1);
      expect(await page.getByLabel('Group type', { exact: true }).count()).toBe(0);
      await page.close();
    });

    it('Lifecycle and stickiness: charts drawn for groups and profiles, with their numbers', async () => {
      const page = await signedIn('/insights/lifecycle?type=company&interval=WEEK&range=90d');
      const figure = page.getByRole('figure');
      // Returning companies are drawn in the primary colour, as bars many rows high.
      await poll(() => rowsIn(figure.locator('canvas'), PRIMARY)).toBeGreaterThan(20);
      expect(await figure.getByRole('img').getAttribute('aria-label')).toMatch(/Returning: [\d,]+ in total/);
      await page.screenshot({ path: path.join(shots, 'lifecycle.png'), fullPage: true });
      await figure.getByRole('button', { name: 'Show numbers' }).click();
      const numbers = figure.locator('table.numbers');
      await poll(() => numbers.locator('tbody tr').count()).toBeGreaterThan(12);
      expect((await numbers.locator('thead th').allTextContents()).map((t) => t.trim())).toEqual([
        'Bucket',
        'Returning',
        'New',
        'Resurrecting',
        'Dormant',
      ]);

      const sticky = await signedIn('/insights/stickiness?unit=PROFILE&range=30d');
      const chart = sticky.getByRole('figure');
      const columns = chart.locator('.bar-column');
      await poll(() => columns.count()).toBe(30);
      const heights = await chart
        .locator('.bar')
        .evaluateAll((els) => els.map((e) => (e as HTMLElement).getBoundingClientRect().height));
      expect(Math.max(...heights)).toBeGreaterThan(100);
      await chart.getByRole('button', { name: 'Show numbers' }).click();
      const counts = (await chart.locator('table.numbers tbody td:nth-child(2)').allInnerTexts()).map(number);
      expect(counts).toHaveLength(30);
      // Units active on some day in the range: at most the demo's 499 profiles, and some.
      const total = counts.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(499);
      await sticky.screenshot({ path: path.join(shots, 'stickiness.png'), fullPage: true });
      await page.close();
      await sticky.close();
    });

    it('Cohorts: the list, a definition in words and as stored, the size and the members a page at a time', async () => {
      const created = await gql<{ createCohort: { id: string; size: number } }>(
        bootstrap,
        `mutation { createCohort(input: { name: "Paying exporters", unit: GROUP, groupType: "company",
          rules: [{ performed: { eventName: "report_exported", lastDays: 90 } }, { property: { key: "plan", op: NEQ, value: "free" } }] }) { id size } }`,
      );
      const { id, size } = created.createCohort;
      expect(size).toBeGreaterThan(0);
      const profiles = await gql<{ createCohort: { id: string; size: number } }>(
        bootstrap,
        `mutation { createCohort(input: { name: "Active profiles", unit: PROFILE,
          rules: [{ performed: { eventName: "login", lastDays: 365 } }] }) { id size } }`,
      );

      const page = await signedIn('/cohorts');
      const row = page.getByRole('row', { name: /Paying exporters/ });
      await poll(() => row.locator('td').nth(1).innerText()).toBe(String(size));
      expect(await row.locator('td').first().innerText()).toBe('Groups (company)');
      await page.screenshot({ path: path.join(shots, 'cohorts.png'), fullPage: true });

      await row.getByRole('link').click();
      await page.getByRole('heading', { level: 1, name: 'Paying exporters' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/cohorts/${id}`);
      const rules = page.getByRole('region', { name: 'Definition' }).locator('li');
      expect(await rules.allInnerTexts()).toEqual([
        'did report_exported at least once in the last 90 days',
        'property plan NEQ "free"',
      ]);
      const members = page.getByRole('region', { name: 'Members' }).locator('tbody tr');
      await poll(() => members.count()).toBe(Math.min(size, 25));
      expect(await members.first().locator('a').getAttribute('href')).toMatch(/^\/groups\/org_/);
      await page.screenshot({ path: path.join(shots, 'cohort.png'), fullPage: true });

      // A cohort of profiles, bigger than a page: Next pages on with the cursor in the URL, without repeats.
      expect(profiles.createCohort.size).toBeGreaterThan(25);
      await page.goto(`${server!.url}/cohorts/${profiles.createCohort.id}`);
      await poll(() => members.count()).toBe(25);
      const first = await members.locator('td code').allInnerTexts();
      await page.getByRole('link', { name: 'Next' }).click();
      await poll(() => new URL(page.url()).searchParams.has('after')).toBe(true);
      await poll(async () => (await members.locator('td code').allInnerTexts())[0]).not.toBe(first[0]);
      const second = await members.locator('td code').allInnerTexts();
      expect(second.filter((m) => first.includes(m))).toEqual([]);
      await page.close();
    });

    it('Group: the live feed shows an event ingested while the page is open', async () => {
      const page = await signedIn('/groups/org_acme_inc');
      const live = page.getByRole('region', { name: 'Live' });
      await poll(() => live.getByRole('status').innerText()).toContain('Connected');
      expect(await live.locator('li').count()).toBe(0);
      const tracked = await gql<{ track: { event: { id: string } } }>(
        write,
        'mutation { track(input: { name: "live_feed_check", profileId: "user_live", groups: ["org_acme_inc"] }) { event { id } } }',
      );
      expect(tracked.track.event.id).toBeTruthy();
      // An event of another group does not show.
      await gql(
        write,
        'mutation { track(input: { name: "other_group_event", groups: ["org_elsewhere"] }) { event { id } } }',
      );
      await poll(() => live.locator('li').allInnerTexts()).toEqual([
        expect.stringMatching(/^live_feed_check by user_live/),
      ]);
      await page.screenshot({ path: path.join(shots, 'group-live.png'), fullPage: true });
      await page.close();
    });

    it('a revoked key: the page says the server refuses it and keeps retrying; the reader can sign in again', async () => {
      allowedConsoleErrors = [/status of 401/];
      const doomed = JSON.parse(
        (await runCli(['keys', 'create', '--project', 'default', '--mode', 'read', '--json'], env)).stdout,
      ) as Key;
      const page = await signedIn('/groups', doomed);
      await poll(() => page.locator('.sparkline canvas').count()).toBe(25);
      const posts = graphqlPosts(page);
      expect((await runCli(['keys', 'revoke', doomed.clientId], env)).code).toBe(0);

      await page.getByRole('link', { name: 'Trend' }).click();
      const alert = page.getByRole('alert').first();
      await poll(() => alert.innerText()).toContain('The server does not accept this key (HTTP 401');
      expect(await alert.innerText()).toMatch(/Retrying in \d+ s/);
      // Retried by itself (after 1 s, then 2 s), each answered 401.
      await poll(() => posts.statuses.filter((s) => s === 401).length).toBeGreaterThan(3);
      expect(posts.statuses.every((s) => s === 401)).toBe(true);

      await alert.getByRole('button', { name: 'Sign in with another key' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await page.close();
    });

    it('a 503: the page says the server is unavailable, retries after Retry-After, and shows the answer once it comes', async () => {
      allowedConsoleErrors = [/status of 503/];
      const page = await signedIn('/insights/trend');
      // The server's own 503 (database unavailable) cannot be caused on the embedded
      // database from here; the browser gets that answer for two requests instead.
      let failures = 2;
      await page.route('**/graphql', async (route) => {
        if (failures-- <= 0) return route.continue();
        await route.fulfill({
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '1' },
          body: JSON.stringify({
            errors: [{ message: 'The database is unavailable; retry shortly.', extensions: { code: 'UNAVAILABLE' } }],
          }),
        });
      });
      await page.getByRole('link', { name: 'Groups' }).click();
      const alert = page.getByRole('alert').first();
      await poll(() => alert.innerText()).toContain('The server is unavailable right now (HTTP 503');
      await poll(() => page.locator('table.groups tbody tr').count()).toBe(25);
      expect(await page.getByRole('alert').count()).toBe(0);
      await page.close();
    });
  });
});
