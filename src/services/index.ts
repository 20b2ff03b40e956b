import type { PrismaClient } from '../generated/prisma/client.ts';
import { AccountAnalysisService } from './analysis/accounts/service.ts';
import { GroupOverviewService } from './analysis/groupOverview.ts';
import { BackfillService } from './backfill.ts';
import { ConsistencyService } from './consistency.ts';
import { AggregationService } from './analysis/service.ts';
import { CohortService } from './cohorts/service.ts';
import { EventService } from './events.ts';
import { GroupListService } from './groupList.ts';
import { GroupService } from './groups.ts';
import { IngestService, type EventOutcome } from './ingest.ts';
import { KeyService } from './keys.ts';
import { LiveEventService, type Listen } from './live.ts';
import { MembershipService } from './memberships.ts';
import { OpenPanelService } from './openpanel.ts';
import { ProfileService } from './profiles.ts';
import { PropertyHistoryService } from './propertyHistory.ts';
import { ProjectConcurrency } from './projectConcurrency.ts';
import { SessionService } from './sessions.ts';

/** The domain services bound to one database. Resolvers reach the data only through these. */
export interface Services {
  readonly aggregation: AggregationService;
  /** Funnels, retention, lifecycle and stickiness per profile or per group. */
  readonly accounts: AccountAnalysisService;
  /** Saved cohorts of groups or profiles, evaluated when read. */
  readonly cohorts: CohortService;
  /** Tags past events with groups (backfillGroups, setGroups since, `groupgraph backfill`). */
  readonly backfill: BackfillService;
  /** Recomputes derived rows from the raw events (tests, `groupgraph check`). */
  readonly consistency: ConsistencyService;
  readonly events: EventService;
  readonly groups: GroupService;
  /** The `groups` list: filters, orders, keyset pages. */
  readonly groupList: GroupListService;
  /** The group page: stats, activity, member growth. */
  readonly groupOverview: GroupOverviewService;
  readonly ingest: IngestService;
  readonly keys: KeyService;
  /** Live subscriptions to stored events (one database listener per process). */
  readonly live: LiveEventService;
  readonly memberships: MembershipService;
  readonly profiles: ProfileService;
  /** Group property history (Group.propertyHistory). */
  readonly propertyHistory: PropertyHistoryService;
  readonly sessions: SessionService;
  /** OpenPanel's POST /track contract over the services above. */
  readonly openpanel: OpenPanelService;
  /** For plugin-prisma's relation loading only; resolvers call services. */
  readonly prismaForPothos: PrismaClient;
}

export interface ServiceOptions {
  /** Most events one trackBatch may carry. */
  trackBatchMax: number;
  /** The database's notifications (Database.listen); without it no live event is ever heard. */
  listen?: Listen;
  /** Told the outcome of every event sent (metrics). */
  onEvents?: (outcome: EventOutcome, count: number) => void;
  /** Analysis queries one project may run at once (the rest wait briefly, then RATE_LIMITED). */
  analysisConcurrencyPerProject?: number;
}

const NEVER_HEARS: Listen = () => ({ ready: Promise.resolve(), close: async () => {} });

export function createServices(prisma: PrismaClient, options: ServiceOptions): Services {
  const aggregation = new AggregationService(
    prisma,
    options.analysisConcurrencyPerProject ? new ProjectConcurrency(options.analysisConcurrencyPerProject) : undefined,
  );
  const groups = new GroupService(prisma);
  const cohorts = new CohortService(prisma);
  const ingest = new IngestService(prisma, { trackBatchMax: options.trackBatchMax, onEvents: options.onEvents });
  const memberships = new MembershipService(prisma);
  const profiles = new ProfileService(prisma);
  const sessions = new SessionService(prisma);
  return Object.freeze({
    aggregation,
    accounts: new AccountAnalysisService(prisma, cohorts),
    cohorts,
    backfill: new BackfillService(prisma),
    consistency: new ConsistencyService(prisma),
    events: new EventService(prisma),
    groups,
    groupList: new GroupListService(prisma, cohorts),
    groupOverview: new GroupOverviewService(prisma, aggregation),
    ingest,
    keys: new KeyService(prisma),
    live: new LiveEventService(prisma, options.listen ?? NEVER_HEARS, (projectId, filter) =>
      cohorts.resolveFilter(projectId, filter),
    ),
    memberships,
    profiles,
    propertyHistory: new PropertyHistoryService(prisma),
    sessions,
    openpanel: new OpenPanelService({ ingest, profiles, groups, memberships, sessions }),
    prismaForPothos: prisma,
  });
}
