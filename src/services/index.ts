import type { PrismaClient } from '../generated/prisma/client.ts';
import { GroupService } from './groups.ts';
import { IngestService } from './ingest.ts';
import { KeyService } from './keys.ts';

/** The domain services bound to one database. Resolvers reach the data only through these. */
export interface Services {
  readonly groups: GroupService;
  readonly ingest: IngestService;
  readonly keys: KeyService;
  /** For plugin-prisma's relation loading only; resolvers call services. */
  readonly prismaForPothos: PrismaClient;
}

export function createServices(prisma: PrismaClient): Services {
  return Object.freeze({
    groups: new GroupService(prisma),
    ingest: new IngestService(prisma),
    keys: new KeyService(prisma),
    prismaForPothos: prisma,
  });
}
