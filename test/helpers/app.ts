import { randomBytes } from 'node:crypto';

import { afterAll, beforeAll, expect } from 'vitest';

import { createApp, type App } from '../../src/http/app.ts';
import { listen, type RunningServer } from '../../src/http/server.ts';
import { KeyService, type CreatedKey, type Mode } from '../../src/services/keys.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { postGraphQL, type AnyData, type GraphQLResponse, type Operation } from './http.ts';

export function uniqueId(prefix = 'id'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
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
  /** The base URL of the app's server on a free port (transport `http` only). */
  readonly url: string;
  /**
   * Runs an operation — a typed document of schema/operations, or ad-hoc text —
   * with the file's root key unless another is given.
   */
  gql<TData = AnyData, TVariables = Record<string, unknown>>(
    operation: Operation<TData, TVariables>,
    variables?: TVariables,
    key?: CreatedKey,
  ): Promise<GraphQLResponse<TData>>;
  /** `gql` that expects status 200 and no GraphQL errors, and returns the data. */
  ok<TData = AnyData, TVariables = Record<string, unknown>>(
    operation: Operation<TData, TVariables>,
    variables?: TVariables,
    key?: CreatedKey,
  ): Promise<TData>;
}

export interface TestAppOptions {
  /** `in-process` (default) calls the app's fetch; `http` a server on a free port, for tests where the socket matters. */
  transport?: 'in-process' | 'http';
}

/** Gives this test file a fresh database on its engine and an app over it. */
export function useTestApp(options: TestAppOptions = {}): TestApp {
  const ctx = { statements: [] as string[] } as TestApp;
  let server: RunningServer | undefined;
  Object.defineProperty(ctx, 'url', {
    get() {
      if (!server) throw new Error("t.url needs useTestApp({ transport: 'http' }), after beforeAll");
      return server.url;
    },
  });
  beforeAll(async () => {
    ctx.db = await createTestDatabase({ onStatement: (sql) => ctx.statements.push(sql) });
    ctx.app = createApp({ database: ctx.db, production: false });
    const keys = new KeyService(ctx.db.prisma);
    ctx.createKey = (mode = 'root', projectId = uniqueId('project')) => keys.create(projectId, mode);
    ctx.rootKey = await ctx.createKey('root');
    if (options.transport === 'http') server = await listen(ctx.app, 0, '127.0.0.1');
  });
  ctx.gql = (operation, variables, key = ctx.rootKey) =>
    server
      ? postGraphQL(`${server.url}/graphql`, operation, variables, key)
      : postGraphQL('http://test/graphql', operation, variables, key, async (url, init) => ctx.app.fetch(url, init));
  ctx.ok = async <TData, TVariables>(
    operation: Operation<TData, TVariables>,
    variables?: TVariables,
    key?: CreatedKey,
  ) => {
    const result = await ctx.gql(operation, variables, key);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.status).toBe(200);
    return result.data!;
  };
  afterAll(async () => {
    await server?.close();
    await ctx.db?.dispose();
  });
  return ctx;
}
