import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { Database } from '../src/db/database.ts';
import type { PrismaClient } from '../src/generated/prisma/client.ts';
import { adminSocketPath, listenAdminSocket } from '../src/http/adminSocket.ts';
import { createApp } from '../src/http/app.ts';
import { ERROR_STATUS } from '../src/http/errors.ts';
import { KeyService } from '../src/services/keys.ts';
import { engine } from './helpers/db.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';
import { keyHeaders } from './helpers/http.ts';

const t = useTestApp();

/** A database whose every Prisma call fails with `error`. */
function failingDatabase(error: Error): Database {
  const failing: unknown = new Proxy(() => {}, {
    get: (_target, prop) => (prop === 'then' ? undefined : failing),
    apply: () => Promise.reject(error),
  });
  return {
    kind: engine,
    prisma: failing as PrismaClient,
    migrate: () => Promise.reject(error),
    ping: () => Promise.reject(error),
    pendingMigrations: () => Promise.reject(error),
    listen: () => ({ ready: Promise.resolve(), close: async () => {} }),
    poolStats: () => ({ size: 0, inUse: 0, waiting: 0 }),
    close: async () => {},
  };
}

async function postGraphQL(app: ReturnType<typeof createApp>, headers: Record<string, string>) {
  const response = await app.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

// The context factory (credentials, rate limit) has no error handling of its
// own: what it throws goes through the same masking as a resolver's error.
describe('errors thrown while building the GraphQL context', () => {
  const key = { clientId: 'client', clientSecret: 'sec_x' };

  it('coded errors keep their code and the status of the table', async () => {
    const none = await postGraphQL(t.app, {});
    expect(none.status).toBe(ERROR_STATUS.UNAUTHENTICATED.status);
    expect(none.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');

    const app = createApp({ database: t.db, production: true, rateLimit: { perSecond: 1, burst: 1 } });
    try {
      expect((await postGraphQL(app, keyHeaders(t.rootKey))).status).toBe(200);
      const limited = await postGraphQL(app, keyHeaders(t.rootKey));
      expect(limited.status).toBe(ERROR_STATUS.RATE_LIMITED.status);
      expect(limited.body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await app.rateLimiter.close();
    }
  });

  it('a database that does not answer is 503 UNAVAILABLE with Retry-After', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const app = createApp({ database: failingDatabase(refused), production: true });
    const result = await postGraphQL(app, keyHeaders(key));
    expect(result.status).toBe(503);
    expect(result.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(result.body.errors[0].extensions.code).toBe('UNAVAILABLE');
    expect(result.body.errors[0].message).not.toContain('127.0.0.1');
  });

  it('an unexpected error is masked: no message in production, the original only outside it', async () => {
    const unexpected = new Error('secret internals');
    const production = await postGraphQL(
      createApp({ database: failingDatabase(unexpected), production: true }),
      keyHeaders(key),
    );
    expect(production.status).toBe(500);
    expect(production.body.errors).toEqual([
      { message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);

    const development = await postGraphQL(
      createApp({ database: failingDatabase(unexpected), production: false }),
      keyHeaders(key),
    );
    expect(development.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(development.body.errors[0].extensions.originalError.message).toBe('secret internals');
  });
});

describe('one status table for /graphql, POST /track and the admin socket', () => {
  it('a field error stays 200 on /graphql beside the data, and is 400 on /track', async () => {
    const graphql = await t.gql('{ a: __typename b: group(id: "") { id } }');
    expect(graphql.status).toBe(200);
    expect(graphql.data).toEqual({ a: 'Query', b: null });
    expect(graphql.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');

    const track = await t.app.fetch('http://test/track', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...keyHeaders(t.rootKey) },
      body: JSON.stringify({ type: 'group', payload: { id: '' } }),
    });
    expect(track.status).toBe(ERROR_STATUS.VALIDATION_FAILED.status);
    expect(((await track.json()) as any).error).toBe('VALIDATION_FAILED');
  });

  it('the admin socket answers coded errors with their status', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'groupgraph-admin-'));
    const server = await listenAdminSocket(dataDir, new KeyService(t.db.prisma));
    const call = (route: string, body: unknown) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = request({ socketPath: adminSocketPath(dataDir), path: route, method: 'POST' }, async (res) => {
          let text = '';
          for await (const chunk of res) text += chunk;
          resolve({ status: res.statusCode!, body: JSON.parse(text) });
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    try {
      const badMode = await call('/keys/create', { projectId: uniqueId('p'), mode: 'admin' });
      expect(badMode).toEqual({
        status: ERROR_STATUS.VALIDATION_FAILED.status,
        body: { error: 'VALIDATION_FAILED', message: expect.stringContaining('mode') },
      });
      const noRoute = await call('/keys/rotate', {});
      expect(noRoute.status).toBe(ERROR_STATUS.NOT_FOUND.status);
      expect(noRoute.body.error).toBe('NOT_FOUND');
      const unknown = await call('/keys/revoke', { clientId: uniqueId('nobody') });
      expect(unknown).toEqual({
        status: ERROR_STATUS.NOT_FOUND.status,
        body: { error: 'NOT_FOUND', message: expect.any(String) },
      });
    } finally {
      server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
