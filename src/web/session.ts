// The signed-in key lives in sessionStorage: it survives reloads and shared
// links opened in the same tab, and is gone when the tab closes.
import { createContext } from 'preact';

import type { Key } from './pageConfig.ts';

const STORAGE_KEY = 'groupgraph.dashboard.key';

export function storedKey(): Key | undefined {
  try {
    const key = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<Key> | null;
    return key?.clientId && key.clientSecret ? { clientId: key.clientId, clientSecret: key.clientSecret } : undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(key: Key | undefined): void {
  if (key) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(key));
  else sessionStorage.removeItem(STORAGE_KEY);
}

export interface Session {
  key: Key;
  signOut(): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);
