// Server-side tracking from a Node backend with groupgraph/client.
//
// A backend serves many users at once, so it keeps one SDK instance per process,
// names the user on each call, and lets the server tag every event with the
// user's current memberships (inheritProfileGroups: true) — recorded once, at
// login, with setGroups. Compare the browser, where the instance is the user's
// and the events carry the instance's groups.
//
//   GROUPGRAPH_URL=http://localhost:4000 GROUPGRAPH_CLIENT_ID=… GROUPGRAPH_CLIENT_SECRET=… \
//     npx tsx examples/node-backend.ts
import { pathToFileURL } from 'node:url';

import { GroupGraph, IdentifyDocument, type GroupGraphOptions } from 'groupgraph/client';

export interface User {
  id: string;
  email: string;
  firstName: string;
  organizationId: string;
  organizationName: string;
  plan: 'free' | 'pro' | 'enterprise';
  mrr: number;
  teamId: string;
  teamName: string;
}

export function createAnalytics(options: Pick<GroupGraphOptions, 'url' | 'clientId' | 'clientSecret'>): GroupGraph {
  return new GroupGraph({
    ...options,
    // Events of a profile also carry the profile's memberships, added by the server.
    inheritProfileGroups: true,
  });
}

/** On login: sync the user's profile, company and team, and link the user to both groups. */
export async function onLogin(analytics: GroupGraph, user: User): Promise<void> {
  // identify() would make this shared instance remember one user; the typed client
  // sends the same mutation without touching the instance.
  await analytics.client.request(IdentifyDocument, {
    input: { profileId: user.id, email: user.email, firstName: user.firstName },
  });
  analytics.upsertGroup({
    id: user.organizationId,
    type: 'company',
    name: user.organizationName,
    properties: { plan: user.plan, mrr: user.mrr },
  });
  analytics.upsertGroup({ id: user.teamId, type: 'team', name: user.teamName });
  // An explicit profile links that user and leaves the instance's own groups empty.
  analytics.setGroups([user.organizationId, user.teamId], { profileId: user.id });
}

/** Anywhere in the backend: the user id is enough, the server adds company and team. */
export function onInvoicePaid(analytics: GroupGraph, user: User, invoice: { amount: number; currency: string }): void {
  analytics.track('invoice_paid', { profileId: user.id, amount: invoice.amount, currency: invoice.currency });
}

/** A per-event group on top of the memberships: the partner the report went to. */
export function onReportShared(analytics: GroupGraph, user: User, partnerId: string): void {
  analytics.track('report_shared', { profileId: user.id, groups: [partnerId] });
}

/** The user leaves the team: later events carry the company only. */
export function onTeamLeft(analytics: GroupGraph, user: User): void {
  analytics.removeGroups([user.teamId], { profileId: user.id });
  analytics.track('team_left', { profileId: user.id, teamId: user.teamId });
}

export async function main(options: Pick<GroupGraphOptions, 'url' | 'clientId' | 'clientSecret'>): Promise<void> {
  const analytics = createAnalytics(options);
  const user: User = {
    id: 'user_42',
    email: 'ada@globex.io',
    firstName: 'Ada',
    organizationId: 'org_globex',
    organizationName: 'Globex',
    plan: 'pro',
    mrr: 990,
    teamId: 'team_billing',
    teamName: 'Billing',
  };
  await onLogin(analytics, user);
  onInvoicePaid(analytics, user, { amount: 990, currency: 'EUR' }); // → groups: org_globex, team_billing
  onReportShared(analytics, user, 'org_partner'); // → groups: org_globex, org_partner, team_billing
  onTeamLeft(analytics, user); // → groups: org_globex
  // Calls are queued and batched: flush before the process exits.
  await analytics.flush();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { GROUPGRAPH_URL = 'http://localhost:4000', GROUPGRAPH_CLIENT_ID, GROUPGRAPH_CLIENT_SECRET } = process.env;
  if (!GROUPGRAPH_CLIENT_ID || !GROUPGRAPH_CLIENT_SECRET) {
    console.error('Set GROUPGRAPH_CLIENT_ID and GROUPGRAPH_CLIENT_SECRET (a write or root key).');
    process.exit(2);
  }
  await main({ url: GROUPGRAPH_URL, clientId: GROUPGRAPH_CLIENT_ID, clientSecret: GROUPGRAPH_CLIENT_SECRET });
  console.log('sent: login, invoice_paid, report_shared, team_left');
}
