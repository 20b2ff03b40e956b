import { describe, expect, it } from 'vitest';

import { openEmbedded } from '../src/db/database.ts';
import { createApp, type AppOptions } from '../src/http/app.ts';
import { QUERY_LIMITS } from '../src/http/hardening.ts';
import { listen } from '../src/http/server.ts';
import { KeyService } from '../src/services/keys.ts';
import { useTestApp } from './helpers/app.ts';
import { keyHeaders } from './helpers/http.ts';

const t = useTestApp();

function appWith(options: Partial<AppOptions>) {
  return createApp({ database: t.db, production: false, ...options });
}

async function post(
  app: ReturnType<typeof createApp>,
  query: string,
  headers: Record<string, string> = keyHeaders(t.rootKey),
) {
  const response = await app.fetch('http://test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as any };
}

function nest(levels: number): string {
  // group → members → node → memberships → group → members … : a real path, repeated.
  let inner = 'id';
  for (let i = 0; i < levels; i++)
    inner = i % 2 ? `memberships { group { ${inner} } }` : `members { edges { node { ${inner} } } }`;
  return `{ group(id: "g") { ${inner} } }`;
}

describe('query limits', () => {
  it('a real Relay query passes', async () => {
    await t.ok(`{
      groups(first: 10) { edges { cursor node {
        id name memberCount lastActiveAt
        members(first: 5) { edges { joinedAt node { id email groups { id name stats { eventCount topEvents { name count } } } } } }
        events(first: 5) { edges { node { id name groups { id } profile { id } } } pageInfo { hasNextPage endCursor } }
      } } pageInfo { hasNextPage endCursor } }
    }`);
  });

  it('refuses a query deeper than the limit', async () => {
    const result = await t.gql(nest(8));
    expect(result.status).toBe(400);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.message).toBe(
      `Query depth limit exceeded: the query nests 22 levels, at most ${QUERY_LIMITS.maxDepth} are allowed`,
    );
    expect(result.errors![0]!.message).not.toMatch(/syntax/i);
    expect(result.errors![0]!.extensions).toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      limit: 'maxDepth',
      max: QUERY_LIMITS.maxDepth,
      found: 22,
    });
    expect(result.data ?? null).toBeNull();
  });

  it(`refuses more than ${QUERY_LIMITS.maxAliases} aliases`, async () => {
    const aliases = Array.from({ length: QUERY_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: groupTypes { type }`).join(
      ' ',
    );
    const result = await t.gql(`{ ${aliases} }`);
    expect(result.errors?.[0]?.message).toBe(
      `Alias limit exceeded: the query has ${QUERY_LIMITS.maxAliases + 1} aliases, at most ${QUERY_LIMITS.maxAliases} are allowed`,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      max: QUERY_LIMITS.maxAliases,
    });
  });

  it(`refuses more than ${QUERY_LIMITS.maxTokens} tokens`, async () => {
    const fields = Array.from({ length: QUERY_LIMITS.maxTokens }, () => 'id').join(' ');
    const result = await t.gql(`{ group(id: "g") { ${fields} } }`);
    expect(result.errors?.[0]?.message).toBe(
      `Token limit exceeded: the document has more than ${QUERY_LIMITS.maxTokens} tokens`,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'maxTokens' });
  });

  it(`refuses more than ${QUERY_LIMITS.maxDirectives} directives`, async () => {
    const directives = Array.from({ length: QUERY_LIMITS.maxDirectives + 1 }, () => '@skip(if: false)').join(' ');
    const result = await t.gql(`{ groupTypes ${directives} { type } }`);
    expect(result.errors?.[0]?.message).toMatch(/^Directive limit exceeded: .* at most 20 are allowed$/);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED', limit: 'maxDirectives' });
  });

  it('refuses a query over the cost limit', async () => {
    const wide = Array.from(
      { length: 25 },
      (_, i) =>
        `g${i}: groups(first: 100) { edges { node { id name type memberCount members { edges { node { id email firstName lastName groups { id name type } } } } } } }`,
    ).join(' ');
    const result = await t.gql(`{ ${wide} }`);
    expect(result.errors?.[0]?.message).toMatch(
      /^Query cost limit exceeded: the query costs \d+, at most 50000 is allowed$/,
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_LIMIT_EXCEEDED',
      limit: 'maxCost',
      max: 50000,
    });
    expect(result.data ?? null).toBeNull();
  });
});

describe('HTTP limits', () => {
  it('answers 413 to a body over the limit', async () => {
    const app = appWith({ hardening: { maxBodyBytes: 10_000 } });
    const response = await post(app, `{ group(id: "${'x'.repeat(20_000)}") { id } }`);
    expect(response.status).toBe(413);
    expect(response.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 413 to a chunked body (no Content-Length) once it passes the limit, and serves one within it', async () => {
    const server = await listen(appWith({ hardening: { maxBodyBytes: 10_000 } }), 0, '127.0.0.1');
    try {
      const chunked = (text: string, repeat: number, onPull = () => {}) => {
        const chunk = new TextEncoder().encode(text);
        let left = repeat;
        return new ReadableStream<Uint8Array>({
          pull(controller) {
            onPull();
            if (left-- > 0) controller.enqueue(chunk);
            else controller.close();
          },
        });
      };
      const send = (body: ReadableStream<Uint8Array>) =>
        fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...keyHeaders(t.rootKey) },
          body,
          duplex: 'half',
        } as RequestInit);

      // 1,000 chunks of 64 KiB would be 64 MB; the server stops reading soon after 10 kB.
      let pulled = 0;
      const big = await send(chunked(' '.repeat(64 * 1024), 1000, () => pulled++));
      expect(big.status).toBe(413);
      expect(((await big.json()) as any).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
      expect(pulled).toBeLessThan(1000);

      const small = await send(chunked(JSON.stringify({ query: '{ __typename }' }), 1));
      expect(small.status).toBe(200);
      expect(((await small.json()) as any).data).toEqual({ __typename: 'Query' });
    } finally {
      await server.close();
    }
  });

  it('introspection is on by default and off when configured', async () => {
    const query = '{ __schema { queryType { name } } }';
    expect((await post(appWith({}), query)).body.data.__schema.queryType.name).toBe('Query');
    const off = await post(appWith({ hardening: { introspection: false } }), query);
    expect(off.body.errors[0].message).toMatch(/introspection/i);
    expect(off.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a browser-style simple request without a credentials header (CSRF)', async () => {
    const response = await t.app.fetch(`http://test/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      method: 'GET',
      headers: { accept: 'application/json' },
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    const withKey = await t.app.fetch(`http://test/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', ...keyHeaders(t.rootKey) },
    });
    expect(withKey.status).toBe(200);
  });

  it('rate-limits per client with 429, RATE_LIMITED and Retry-After; other clients go on', async () => {
    const app = appWith({ rateLimit: { perSecond: 1, burst: 3 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await post(app, '{ __typename }'));
    expect(statuses.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    const limited = statuses[3]!;
    expect(limited.status).toBe(429);
    expect(limited.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const other = await t.createKey('read');
    expect((await post(app, '{ __typename }', keyHeaders(other))).status).toBe(200);
    await app.rateLimiter.close();
  });

  if (process.env.TEST_REDIS_URL) {
    it('with Redis, servers share one bucket per client', async () => {
      const rateLimit = { perSecond: 1, burst: 2, redisUrl: process.env.TEST_REDIS_URL };
      const key = await t.createKey('read');
      const first = appWith({ rateLimit });
      const second = appWith({ rateLimit });
      try {
        expect((await post(first, '{ __typename }', keyHeaders(key))).status).toBe(200);
        expect((await post(second, '{ __typename }', keyHeaders(key))).status).toBe(200);
        const third = await post(first, '{ __typename }', keyHeaders(key));
        expect(third.status).toBe(429);
        expect(third.body.errors[0].extensions.code).toBe('RATE_LIMITED');
      } finally {
        await first.rateLimiter.close();
        await second.rateLimiter.close();
      }
    });
  }

  it('masks unexpected errors in production, with a code', async () => {
    const db = await openEmbedded(undefined);
    await db.migrate();
    const key = await new KeyService(db.prisma).create('p', 'root');
    const app = createApp({ database: db, production: true });
    // Break the database under the server: what follows is an error nobody planned for.
    await db.prisma.$executeRawUnsafe('DROP TABLE "Group" CASCADE');
    const result = await post(app, '{ group(id: "g") { id } }', keyHeaders(key));
    expect(result.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(result.body.errors[0].message).not.toMatch(/Group|relation|does not exist/);
    await db.close();
  });
});
