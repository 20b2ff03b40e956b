import type { PrismaClient } from '../generated/prisma/client.ts';
import { GroupOverviewService } from './analysis/groupOverview.ts';
import { ConsistencyService } from './consistency.ts';
import { AggregationService } from './analysis/service.ts';
import { EventService } from './events.ts';
import { GroupService } from './groups.ts';
import { IngestService } from './ingest.ts';
import { KeyService } from './keys.ts';
import { MembershipService } from './memberships.ts';
import { OpenPanelService } from './openpanel.ts';
import { ProfileService } from './profiles.ts';
import { ProjectConcurrency } from './projectConcurrency.ts';
import { SessionService } from './sessions.ts';

/** The domain services bound to one database. Resolvers reach the data only through these. */
export interface Services {
  readonly aggregation: AggregationService;
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
  readonly sessions: SessionService;
  /** OpenPanel's POST /track contract over the services above. */
  readonly openpanel: OpenPanelService;
  /** For plugin-prisma's relation loading only; resolvers call services. */
  readonly prismaForPothos: PrismaClient;
}

export interface ServiceOptions {
  /** Most events one trackBatch may carry. */
  trackBatchMax: number;
  /** Analysis queries one project may run at once (the rest wait briefly, then RATE_LIMITED). */
  analysisConcurrencyPerProject?: number;
}

export function createServices(prisma: PrismaClient, options: ServiceOptions): Services {
  const aggregation = new AggregationService(
    prisma,
    options.analysisConcurrencyPerProject ? new ProjectConcurrency(options.analysisConcurrencyPerProject) : undefined,
  );
  const groups = new GroupService(prisma);
  const ingest = new IngestService(prisma, { trackBatchMax: options.trackBatchMax });
  const memberships = new MembershipService(prisma);
  const profiles = new ProfileService(prisma);
  const sessions = new SessionService(prisma);
  return Object.freeze({
    aggregation,
    consistency: new ConsistencyService(prisma),
    events: new EventService(prisma),
    groups,
    groupOverview: new GroupOverviewService(prisma, aggregation),
    ingest,
    keys: new KeyService(prisma),
    memberships,
    profiles,
    sessions,
    openpanel: new OpenPanelService({ ingest, profiles, groups, memberships, sessions }),
    prismaForPothos: prisma,
  });
}
