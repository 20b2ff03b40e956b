// Typed analytics queries with groupgraph/client: "what is Acme Inc doing?".
//
// The operations live in schema/operations/*.graphql; `npm run codegen` turns them
// into typed documents, so every variable and every field of the answers below is
// checked by tsc against the schema. A read (or root) key is needed.
//
//   GROUPGRAPH_URL=http://localhost:4000 GROUPGRAPH_CLIENT_ID=… GROUPGRAPH_CLIENT_SECRET=… \
//     npx tsx examples/queries.ts
import { pathToFileURL } from 'node:url';

import {
  EventAggregationDocument,
  EventsDocument,
  FunnelDocument,
  FunnelStepUnitsDocument,
  GroupGraphClient,
  GroupOverviewDocument,
  GroupsDocument,
  GroupTypesDocument,
  LifecycleDocument,
  RetentionDocument,
  StickinessDocument,
  type ClientOptions,
  type EventAggregationQuery,
  type EventFilter,
  type GroupsQuery,
} from 'groupgraph/client';

export interface CompanyRow {
  id: string;
  name: string;
  plan: unknown;
  members: number;
  events: number;
  activeUsers: number;
  topEvent: string | null;
}

/** Every company, paging through `groups`, with its activity in [from, to). */
export async function companyReport(client: GroupGraphClient, from: Date, to: Date): Promise<CompanyRow[]> {
  const rows: CompanyRow[] = [];
  let after: string | null = null;
  do {
    const { groups }: GroupsQuery = await client.request(GroupsDocument, { type: 'company', first: 50, after });
    for (const { node } of groups.edges) {
      const { group } = await client.request(GroupOverviewDocument, { id: node.id, from, to, members: 1 });
      if (!group) continue; // deleted meanwhile
      rows.push({
        id: group.id,
        name: group.name ?? group.id, // a placeholder has no name until upsertGroup
        plan: group.properties.plan,
        members: group.memberCount,
        events: group.stats.eventCount,
        activeUsers: group.stats.uniqueProfiles,
        topEvent: group.stats.topEvents[0]?.name ?? null,
      });
    }
    after = groups.pageInfo.hasNextPage ? groups.pageInfo.endCursor : null;
  } while (after);
  return rows.sort((a, b) => b.events - a.events);
}

/** Who exported reports on behalf of a company on a given plan (filters on the groups' properties). */
export async function exportsByPlan(
  client: GroupGraphClient,
  plan: string,
): Promise<{ profileId: string | null; groups: string[] }[]> {
  const filter: EventFilter = {
    eventNames: ['report_exported'],
    groupType: 'company',
    groupProperties: [{ key: 'plan', op: 'EQ', value: plan }],
  };
  const { events } = await client.request(EventsDocument, { filter, first: 100 });
  return events.edges.map(({ node }) => ({ profileId: node.profileId, groups: node.groupIds }));
}

type Series = EventAggregationQuery['eventAggregation']['series'][number];

/** Events per company per day (in Berlin time), the ten busiest companies. */
export async function dailyEventsByCompany(client: GroupGraphClient, from: Date, to: Date): Promise<Series[]> {
  const { eventAggregation } = await client.request(EventAggregationDocument, {
    input: {
      metric: 'EVENTS',
      from,
      to,
      interval: 'DAY',
      timezone: 'Europe/Berlin',
      breakdown: 'GROUP',
      filter: { groupType: 'company' },
      limit: 10,
    },
  });
  return eventAggregation.series;
}

/** How many companies of each plan exported a report in [from, to): plan → companies. */
export async function exportingCompaniesByPlan(
  client: GroupGraphClient,
  from: Date,
  to: Date,
): Promise<Record<string, number>> {
  const { eventAggregation } = await client.request(EventAggregationDocument, {
    input: {
      metric: 'UNIQUE_GROUPS',
      from,
      to,
      breakdown: 'GROUP_PROPERTY',
      breakdownProperty: 'plan',
      filter: { eventNames: ['report_exported'], groupType: 'company' },
    },
  });
  return Object.fromEntries(eventAggregation.series.map((s) => [s.key ?? '(no plan)', s.total]));
}

/** How many groups of each type exist. */
export async function groupTypeCounts(client: GroupGraphClient): Promise<Record<string, number>> {
  const { groupTypes } = await client.request(GroupTypesDocument);
  return Object.fromEntries(groupTypes.map((t) => [t.type, t.groupCount]));
}

/** The account questions, with the company as the unit, over [from, to). */
export async function accountQuestions(client: GroupGraphClient, from: Date, to: Date) {
  const company = { unit: 'GROUP', groupType: 'company' } as const;
  const funnelInput = {
    ...company,
    from,
    to,
    windowSeconds: 7 * 86_400,
    steps: [{ name: 'invite_sent' }, { name: 'report_exported' }],
  };
  // How many companies get from "invited a teammate" to "exported a report" within a week?
  const { funnel } = await client.request(FunnelDocument, { input: funnelInput });
  // Which companies stalled at step 2? (step index 0 is the first; dropped: stopped there)
  const stalled = await client.request(FunnelStepUnitsDocument, { input: funnelInput, dropped: true, first: 100 });
  // Do companies come back week after week?
  const { retention } = await client.request(RetentionDocument, { input: { ...company, from, to, periods: 4 } });
  // How many companies are new, returning, resurrecting or going dormant each week?
  const { lifecycle } = await client.request(LifecycleDocument, { input: { ...company, from, to } });
  // How many days a month is an account active?
  const { stickiness } = await client.request(StickinessDocument, { input: { ...company, from, to } });
  return {
    funnel: funnel.steps.map((s) => ({ name: s.name, companies: s.count, conversion: s.conversionFromStart })),
    stalledAtFirstStep: stalled.funnel.steps[0]!.units.edges.map((e) => e.node.group?.name ?? e.node.id),
    retention: retention.average,
    lifecycle: lifecycle.buckets,
    activeDays: stickiness.counts,
  };
}

export async function main(options: Pick<ClientOptions, 'url' | 'clientId' | 'clientSecret'>): Promise<void> {
  const client = new GroupGraphClient(options);
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 24 * 3600_000);
  console.log('group types:', await groupTypeCounts(client));
  console.table(await companyReport(client, from, to));
  console.log('report exports by pro companies:', await exportsByPlan(client, 'pro'));
  for (const series of await dailyEventsByCompany(client, from, to)) {
    const active = series.points.filter((p) => p.value > 0).map((p) => `${p.bucket.slice(0, 10)}: ${p.value}`);
    console.log(`${series.label} (${series.total} events)`, active.join(', '));
  }
  console.log('companies exporting reports, by plan:', await exportingCompaniesByPlan(client, from, to));
  console.log('account questions:', JSON.stringify(await accountQuestions(client, from, to), null, 2));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { GROUPGRAPH_URL = 'http://localhost:4000', GROUPGRAPH_CLIENT_ID, GROUPGRAPH_CLIENT_SECRET } = process.env;
  if (!GROUPGRAPH_CLIENT_ID || !GROUPGRAPH_CLIENT_SECRET) {
    console.error('Set GROUPGRAPH_CLIENT_ID and GROUPGRAPH_CLIENT_SECRET (a read or root key).');
    process.exit(2);
  }
  await main({ url: GROUPGRAPH_URL, clientId: GROUPGRAPH_CLIENT_ID, clientSecret: GROUPGRAPH_CLIENT_SECRET });
}
