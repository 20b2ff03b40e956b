import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openPostgres, type Database } from '../src/db/database.ts';
import type { PrismaClient } from '../src/generated/prisma/client.ts';
import { createApp, type App } from '../src/http/app.ts';
import { listen, type RunningServer } from '../src/http/server.ts';
import { KeyService, type CreatedKey } from '../src/services/keys.ts';
import { keyHeaders } from './helpers/http.ts';
import { createEmptyPostgresDatabase, engine } from './helpers/db.ts';

// Database outages: requests get 503 with Retry-After (GraphQL code
// UNAVAILABLE), the process survives, and it recovers by itself when the
// database is back; nothing is stored twice across the failure.

const BATCH = `mutation($events: [TrackInput!]!) { trackBatch(events: $events) { accepted duplicates } }`;

/** A TCP proxy in front of PostgreSQL that a test can cut and restore. */
class TcpProxy {
  private server = net.createServer((client) => this.accept(client));
  private sockets = new Set<net.Socket>();
  private open = true;
  /** When set, the proxy cuts everything right after forwarding a client packet containing it. */
  cutAfter: string | undefined;
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket) {
    if (!this.open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.host);
    this.sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (this.cutAfter && chunk.includes(this.cutAfter)) {
        this.cutAfter = undefined;
        this.cut();
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.open) client.write(chunk);
    });
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }

  /** Closes every connection and refuses new ones (accepted, then closed at once). */
  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function post(url: string, body: unknown, key: CreatedKey) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...keyHeaders(key) },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as any,
  };
}

const batchOf = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}_${i}`, name: 'x', groups: [`org_${i % 3}`] }));

describe('database failures become 503 with Retry-After', () => {
  // Any engine: a client whose every call fails the way a lost connection does.
  it('maps connection-level failures to 503 UNAVAILABLE on /graphql, /track and /health', async () => {
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    const failing: unknown = new Proxy(() => {}, {
      get: (_target, prop) => (prop === 'then' ? undefined : failing),
      apply: () => Promise.reject(lost),
    });
    const database: Database = {
      kind: engine,
      prisma: failing as PrismaClient,
      migrate: () => Promise.reject(lost),
      ping: () => Promise.reject(lost),
      pendingMigrations: () => Promise.reject(lost),
      listen: () => ({ ready: Promise.resolve(), close: async () => {} }),
      poolStats: () => ({ size: 0, inUse: 0, waiting: 0 }),
      close: async () => {},
    };
    const app = createApp({ database, production: true });
    const key = { clientId: 'client', clientSecret: 'sec_x' };
    const headers = { 'content-type': 'application/json', ...keyHeaders(key) };
    const graphql = await app.fetch('http://test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: BATCH, variables: { events: batchOf('stub', 1) } }),
    });
    expect(graphql.status).toBe(503);
    expect(graphql.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await graphql.json()) as any).errors[0].extensions.code).toBe('UNAVAILABLE');

    const track = await app.fetch('http://test/track', {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'track', payload: { name: 'x' } }),
    });
    expect(track.status).toBe(503);
    expect(track.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await track.json()).toEqual({ error: 'UNAVAILABLE', message: expect.any(String) });

    expect((await app.fetch('http://test/health')).status).toBe(503);
  });

  // PostgreSQL only: PGlite is embedded and has no connection to lose.
  if (engine === 'postgres') {
    describe('a real outage through a TCP proxy', () => {
      let dropDatabase: () => Promise<void>;
      let direct: Database;
      let proxied: Database;
      let proxy: TcpProxy;
      let app: App;
      let server: RunningServer;
      let key: CreatedKey;

      beforeAll(async () => {
        const empty = await createEmptyPostgresDatabase();
        dropDatabase = empty.drop;
        direct = openPostgres(empty.url, { poolSize: 2 });
        await direct.migrate();
        key = await new KeyService(direct.prisma).create('outage', 'write');
        const target = new URL(empty.url);
        proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
        await proxy.listen();
        const viaProxy = new URL(empty.url);
        viaProxy.host = `127.0.0.1:${proxy.port}`;
        proxied = openPostgres(viaProxy.toString(), { poolSize: 4, connectTimeoutMs: 2_000 });
        app = createApp({ database: proxied, production: true });
        server = await listen(app, 0, '127.0.0.1');
      });

      afterAll(async () => {
        await server?.close();
        await proxied?.close().catch(() => {});
        await proxy?.close();
        await direct?.close();
        await dropDatabase?.();
      });

      const count = () => direct.prisma.event.count({ where: { projectId: key.projectId } });

      it('answers 503 while the database is unreachable and recovers by itself; retries are stored once', async () => {
        const graphql = `${server.url}/graphql`;
        const track = `${server.url}/track`;
        const before = await post(graphql, { query: BATCH, variables: { events: batchOf('before', 20) } }, key);
        expect(before.body.data.trackBatch).toEqual({ accepted: 20, duplicates: 0 });

        proxy.cut();
        const down = await post(graphql, { query: BATCH, variables: { events: batchOf('down', 20) } }, key);
        expect(down.status).toBe(503);
        expect(down.retryAfter).toMatch(/^\d+$/);
        expect(down.body.errors[0].extensions.code).toBe('UNAVAILABLE');
        const rest = await post(track, { type: 'track', payload: { id: 'rest_down', name: 'x' } }, key);
        expect(rest.status).toBe(503);
        expect(rest.retryAfter).toMatch(/^\d+$/);
        expect(rest.body.error).toBe('UNAVAILABLE');
        expect((await fetch(`${server.url}/health`)).status).toBe(503);
        expect(await count()).toBe(20);

        proxy.restore();
        // The pool reconnects on its own; the first requests may still meet a dead connection.
        let recovered;
        for (let attempt = 0; attempt < 50; attempt++) {
          recovered = await post(graphql, { query: BATCH, variables: { events: batchOf('down', 20) } }, key);
          if (recovered.status === 200) break;
          expect(recovered.status).toBe(503);
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(recovered!.body.data.trackBatch).toEqual({ accepted: 20, duplicates: 0 });
        expect((await post(track, { type: 'track', payload: { id: 'rest_down', name: 'x' } }, key)).status).toBe(200);
        expect((await fetch(`${server.url}/health`)).status).toBe(200);
        expect(await count()).toBe(41);
      });

      it('a connection lost while a batch is in flight: 503, and the retry stores each event once', async () => {
        const graphql = `${server.url}/graphql`;
        const before = await count();
        const events = batchOf('inflight', 50);
        // Cut as soon as the batch's statement (its events: the parameters) has been sent to the database.
        proxy.cutAfter = '"inflight_0"';
        const lost = await post(graphql, { query: BATCH, variables: { events } }, key);
        expect(lost.status).toBe(503);
        expect(lost.body.errors[0].extensions.code).toBe('UNAVAILABLE');

        proxy.restore();
        let retry;
        for (let attempt = 0; attempt < 50; attempt++) {
          retry = await post(graphql, { query: BATCH, variables: { events } }, key);
          if (retry.status === 200) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        // Whether the lost attempt committed or not, the retry completes the batch exactly once.
        const { accepted, duplicates } = retry!.body.data.trackBatch;
        expect(accepted + duplicates).toBe(events.length);
        expect(await count()).toBe(before + events.length);
        const again = await post(graphql, { query: BATCH, variables: { events } }, key);
        expect(again.body.data.trackBatch).toEqual({ accepted: 0, duplicates: events.length });
      });
    });
  }
});
