import type { PrismaClient } from '../generated/prisma/client.ts';
import { EventService } from './events.ts';
import { GroupService } from './groups.ts';
import { IngestService } from './ingest.ts';
import { KeyService } from './keys.ts';
import { MembershipService } from './memberships.ts';
import { ProfileService } from './profiles.ts';

/** The domain services bound to one database. Resolvers reach the data only through these. */
export interface Services {
  readonly events: EventService;
  readonly groups: GroupService;
  readonly ingest: IngestService;
  readonly keys: KeyService;
  readonly memberships: MembershipService;
  readonly profiles: ProfileService;
  /** For plugin-prisma's relation loading only; resolvers call services. */
  readonly prismaForPothos: PrismaClient;
}

export function createServices(prisma: PrismaClient): Services {
  return Object.freeze({
    events: new EventService(prisma),
    groups: new GroupService(prisma),
    ingest: new IngestService(prisma),
    keys: new KeyService(prisma),
    memberships: new MembershipService(prisma),
    profiles: new ProfileService(prisma),
    prismaForPothos: prisma,
  });
}
