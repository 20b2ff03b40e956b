import type { PrismaClient } from '../generated/prisma/client.ts';
import { GroupOverviewService } from './analysis/groupOverview.ts';
import { BackfillService } from './backfill.ts';
import { ConsistencyService } from './consistency.ts';
import { AggregationService } from './analysis/service.ts';
import { EventService } from './events.ts';
import { GroupService } from './groups.ts';
import { IngestService } from './ingest.ts';
import { KeyService } from './keys.ts';
import { MembershipService } from './memberships.ts';
import { OpenPanelService } from './openpanel.ts';
import { ProfileService } from './profiles.ts';
import { PropertyHistoryService } from './propertyHistory.ts';
import { SessionService } from './sessions.ts';

/** The domain services bound to one database. Resolvers reach the data only through these. */
export interface Services {
  readonly aggregation: AggregationService;
  /** Tags past events with groups (backfillGroups, setGroups since, `groupgraph backfill`). */
  readonly backfill: BackfillService;
  /** Recomputes derived rows from the raw events (tests, `groupgraph check`). */
  readonly consistency: ConsistencyService;
  readonly events: EventService;
  readonly groups: GroupService;
  /** The group page: stats, activity, member growth. */
  readonly groupOverview: GroupOverviewService;
  readonly ingest: IngestService;
  readonly keys: KeyService;
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
}

export function createServices(prisma: PrismaClient, options: ServiceOptions): Services {
  const aggregation = new AggregationService(prisma);
  const groups = new GroupService(prisma);
  const ingest = new IngestService(prisma, { trackBatchMax: options.trackBatchMax });
  const memberships = new MembershipService(prisma);
  const profiles = new ProfileService(prisma);
  const sessions = new SessionService(prisma);
  return Object.freeze({
    aggregation,
    backfill: new BackfillService(prisma),
    consistency: new ConsistencyService(prisma),
    events: new EventService(prisma),
    groups,
    groupOverview: new GroupOverviewService(prisma, aggregation),
    ingest,
    keys: new KeyService(prisma),
    memberships,
    profiles,
    propertyHistory: new PropertyHistoryService(prisma),
    sessions,
    openpanel: new OpenPanelService({ ingest, profiles, groups, memberships, sessions }),
    prismaForPothos: prisma,
  });
}
