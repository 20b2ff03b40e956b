import type { Mode } from '../services/keys.ts';
import type { Services } from '../services/index.ts';
import type { Loaders } from './loaders.ts';

/** Per-request, read-only: who is asking and the request's DataLoaders. */
export interface Context {
  readonly projectId: string;
  readonly mode: Mode;
  readonly clientId: string;
  readonly loaders: Loaders;
  readonly services: Services;
}
