import DataLoader from 'dataloader';

import type { Group, Profile } from '../generated/prisma/client.ts';
import type { GroupStats, TimeRange } from '../services/analysis/groupOverview.ts';
import type { Services } from '../services/index.ts';

/**
 * A group that was deleted while events and membership history still name it:
 * its id and nothing else (createdAt/updatedAt null, which the schema allows).
 */
function goneGroup(projectId: string, id: string): Group {
  return {
    projectId,
    id,
    type: null,
    name: null,
    properties: {},
    createdAt: null,
    updatedAt: null,
  } as unknown as Group;
}

export interface Loaders {
  group: DataLoader<string, Group>;
  profile: DataLoader<string, Profile | null>;
  lastActiveAt: DataLoader<string, Date | null>;
  memberCount: DataLoader<string, number>;
  /** Keyed by group id and range; one query per distinct range in a request. */
  groupStats: DataLoader<{ groupId: string } & TimeRange, GroupStats, string>;
}

const rangeKey = (range: TimeRange) => `${range.from?.toISOString() ?? ''}/${range.to?.toISOString() ?? ''}`;

/** DataLoaders, created fresh for every request in the context factory, scoped to its project. */
export function createLoaders(services: Services, projectId: string): Loaders {
  return {
    group: new DataLoader(async (ids) => {
      const found = new Map((await services.groups.findMany(projectId, ids)).map((g) => [g.id, g]));
      return ids.map((id) => found.get(id) ?? goneGroup(projectId, id));
    }),
    profile: new DataLoader(async (ids) => {
      const found = new Map((await services.profiles.findMany(projectId, ids)).map((p) => [p.id, p]));
      return ids.map((id) => found.get(id) ?? null);
    }),
    memberCount: new DataLoader(async (ids) => {
      const found = await services.groups.memberCounts(projectId, ids);
      return ids.map((id) => found.get(id) ?? 0);
    }),
    lastActiveAt: new DataLoader(async (ids) => {
      const found = await services.groups.lastActiveAt(projectId, ids);
      return ids.map((id) => found.get(id) ?? null);
    }),
    groupStats: new DataLoader(
      async (keys) => {
        const byRange = new Map<string, { range: TimeRange; ids: string[] }>();
        for (const key of keys) {
          const k = rangeKey(key);
          if (!byRange.has(k)) byRange.set(k, { range: { from: key.from, to: key.to }, ids: [] });
          byRange.get(k)!.ids.push(key.groupId);
        }
        const results = new Map<string, Map<string, GroupStats>>();
        await Promise.all(
          [...byRange].map(async ([k, { range, ids }]) =>
            results.set(k, await services.groupOverview.stats(projectId, ids, range)),
          ),
        );
        return keys.map((key) => results.get(rangeKey(key))!.get(key.groupId)!);
      },
      // stats takes at most 100 groups a call (a page's worth).
      { cacheKeyFn: (key) => `${key.groupId}\0${rangeKey(key)}`, maxBatchSize: 100 },
    ),
  };
}
