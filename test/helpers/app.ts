import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll } from 'vitest';

import { createApp, type App } from '../../src/http/app.ts';
import { listen, type RunningServer } from '../../src/http/server.ts';
import { KeyService, type CreatedKey, type Mode } from '../../src/services/keys.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export function uniqueId(prefix = 'id'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export function keyHeaders(key: Pick<CreatedKey, 'clientId' | 'clientSecret'>): Record<string, string> {
  return { 'openpanel-client-id': key.clientId, 'openpanel-client-secret': key.clientSecret };
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  /** SQL statements sent by Prisma since the last reset (for batching tests). */
  statements: string[];
  /** Creates a project (unique per call unless given) and a key for it. */
  createKey(mode?: Mode, projectId?: string): Promise<CreatedKey>;
  /** A root key of a project made for this test file. */
  rootKey: CreatedKey;
  /** Runs a GraphQL operation over real HTTP (a server on a free port) with the file's root key unless another is given. */
  http<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    key?: CreatedKey,
  ): Promise<GraphQLResponse<T>>;
  /** Runs a GraphQL operation in-process with the file's root key unless another is given. */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    key?: CreatedKey,
  ): Promise<GraphQLResponse<T>>;
}

/** Gives this test file a fresh database on its engine and an app over it. */
export function useTestApp(): TestApp {
  const ctx = { statements: [] as string[] } as TestApp;
  beforeAll(async () => {
    ctx.db = await createTestDatabase({ onStatement: (sql) => ctx.statements.push(sql) });
    ctx.app = createApp({ database: ctx.db, production: false });
    const keys = new KeyService(ctx.db.prisma);
    ctx.createKey = (mode = 'root', projectId = uniqueId('project')) => keys.create(projectId, mode);
    ctx.rootKey = await ctx.createKey('root');
    ctx.gql = async (query, variables = {}, key = ctx.rootKey) => {
      const response = await ctx.app.fetch('http://test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...keyHeaders(key) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...(await response.json()) };
    };
  });
  let server: RunningServer | undefined;
  ctx.http = async (query, variables = {}, key = ctx.rootKey) => {
    server ??= await listen(ctx.app, 0, '127.0.0.1');
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...keyHeaders(key) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...(await response.json()) };
  };
  afterAll(async () => {
    await server?.close();
    await ctx.db?.dispose();
  });
  return ctx;
}
