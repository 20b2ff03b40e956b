import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import * as backend from '../examples/node-backend.ts';
import * as queries from '../examples/queries.ts';
import { GroupGraphClient } from '../src/sdk/index.ts';
import { DAY_MS, HOUR_MS } from '../src/time.ts';
import { useTestApp } from './helpers/app.ts';
import { runNode } from './helpers/process.ts';

// The two consumer examples, run against a real server: what they send is
// stored with the groups their comments promise, and the typed queries read it back.
const t = useTestApp({ transport: 'http' });

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function runScript(file: string, env: Record<string, string>) {
  // The sources, not the last build in dist/sdk.
  return runNode(['--conditions=groupgraph-source', '--import', 'tsx', file], env, ROOT);
}

describe('examples/', () => {
  it('node-backend.ts tracks server-side: events inherit the memberships recorded at login; queries.ts reads them typed', async () => {
    const writer = await t.createKey('write');
    const reader = await t.createKey('read', writer.projectId);
    const connection = { url: t.url, clientId: writer.clientId, clientSecret: writer.clientSecret };

    await backend.main(connection);
    const analytics = backend.createAnalytics(connection);
    analytics.track('report_exported', { profileId: 'user_42', format: 'pdf' });
    await analytics.flush();

    const rows = await t.db.prisma.event.findMany({ where: { projectId: writer.projectId } });
    const byName = Object.fromEntries(rows.map((e) => [e.name, [...e.groupIds].sort()]));
    expect(rows).toHaveLength(Object.keys(byName).length); // each name once
    expect(byName).toEqual({
      assign_group: ['org_globex', 'team_billing'],
      invoice_paid: ['org_globex', 'team_billing'],
      report_shared: ['org_globex', 'org_partner', 'team_billing'],
      team_left: ['org_globex'],
      report_exported: ['org_globex'],
    });
    expect(rows.every((e) => e.profileId === 'user_42')).toBe(true);
    const profile = await t.db.prisma.profile.findUniqueOrThrow({
      where: { projectId_id: { projectId: writer.projectId, id: 'user_42' } },
    });
    expect(profile).toMatchObject({ email: 'ada@globex.io', firstName: 'Ada' });

    const client = new GroupGraphClient({
      url: t.url,
      clientId: reader.clientId,
      clientSecret: reader.clientSecret,
    });
    expect(await queries.groupTypeCounts(client)).toEqual({ company: 1, team: 1 });
    const from = new Date(Date.now() - HOUR_MS);
    const to = new Date(Date.now() + HOUR_MS);
    expect(await queries.companyReport(client, from, to)).toEqual([
      {
        id: 'org_globex',
        name: 'Globex',
        plan: 'pro',
        members: 1,
        events: 5,
        activeUsers: 1,
        topEvent: expect.any(String),
      },
    ]);
    // Nothing in an earlier window.
    const lastYear = new Date(Date.now() - 365 * DAY_MS);
    expect((await queries.companyReport(client, lastYear, from))[0]).toMatchObject({ events: 0, activeUsers: 0 });
    expect(await queries.exportsByPlan(client, 'pro')).toEqual([{ profileId: 'user_42', groups: ['org_globex'] }]);
    expect(await queries.exportsByPlan(client, 'enterprise')).toEqual([]);

    const daily = await queries.dailyEventsByCompany(client, from, to);
    const globex = daily.find((series) => series.key === 'org_globex');
    expect(globex).toMatchObject({ label: 'Globex', total: 5 });
    expect(globex!.points.reduce((n, p) => n + p.value, 0)).toBe(5);
    expect(await queries.exportingCompaniesByPlan(client, from, to)).toEqual({ pro: 1 });
    expect(await queries.exportingCompaniesByPlan(client, lastYear, from)).toEqual({});
    const accounts = await queries.accountQuestions(client, new Date(Date.now() - 30 * DAY_MS), to);
    expect(accounts.funnel).toEqual([
      { name: 'invite_sent', companies: 0, conversion: 1 },
      { name: 'report_exported', companies: 0, conversion: 0 },
    ]);
    expect(accounts.activeDays.slice(0, 2)).toEqual([1, 0]); // Globex, active today only

    // Both run as scripts too, the way their headers say.
    const env = {
      GROUPGRAPH_URL: t.url,
      GROUPGRAPH_CLIENT_ID: reader.clientId,
      GROUPGRAPH_CLIENT_SECRET: reader.clientSecret,
    };
    const printed = await runScript('examples/queries.ts', env);
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('group types: { company: 1, team: 1 }');
    expect(printed.stdout).toContain('Globex (5 events)');
    expect(printed.stdout).toContain('companies exporting reports, by plan: { pro: 1 }');

    const other = await t.createKey('write');
    const sent = await runScript('examples/node-backend.ts', {
      GROUPGRAPH_URL: t.url,
      GROUPGRAPH_CLIENT_ID: other.clientId,
      GROUPGRAPH_CLIENT_SECRET: other.clientSecret,
    });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(await t.db.prisma.event.count({ where: { projectId: other.projectId, name: 'invoice_paid' } })).toBe(1);
  });
});
