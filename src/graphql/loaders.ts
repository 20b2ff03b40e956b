import type { Services } from '../services/index.ts';

/** DataLoaders, created fresh for every request in the context factory. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Loaders {}

export function createLoaders(_services: Services, _projectId: string): Loaders {
  return {};
}
