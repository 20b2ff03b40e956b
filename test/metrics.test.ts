import { describe, expect, it } from 'vitest';

import { createApp, type App } from '../src/http/app.ts';
import { uniqueId, useTestApp } from './helpers/app.ts';
import { keyHeaders, postGraphQL } from './helpers/http.ts';

// GET /metrics: each test makes its own app (its own registry) over this file's
// database, sends known requests and reads the counters back.
const t = useTestApp();

const inProcess = (app: App) => async (url: string, init: RequestInit) => app.fetch(url, init);

async function scrape(app: App, headers: Record<string, string> = {}): Promise<string> {
  const response = await app.fetch('http://test/metrics', { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** The value of one sample, e.g. value(text, 'groupgraph_events_total{outcome="accepted"}'); undefined when absent. */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('GET /metrics', () => {
  it('counts requests by operation and status, GraphQL errors by code and events by outcome', async () => {
    const app = createApp({ database: t.db, production: false });
    const gql = (
      query: string,
      variables: Record<string, unknown> = {},
      key: { clientId: string; clientSecret: string } = t.rootKey,
    ) => postGraphQL('http://test/graphql', query, variables, key, inProcess(app));
    const id = uniqueId('evt');

    await gql(`mutation Track { track(input: { id: "${id}", name: "m" }) { duplicate } }`);
    await gql(`mutation Track { track(input: { id: "${id}", name: "m" }) { duplicate } }`);
    await gql('mutation Batch($e: [TrackInput!]!) { trackBatch(events: $e) { accepted } }', {
      e: [{ name: 'ok' }, { name: '' }, { name: 'ok2' }, { name: 'x'.repeat(300) }],
    });
    await gql('mutation TooFar { track(input: { name: "later", timestamp: "2999-01-01T00:00:00Z" }) { duplicate } }');
    await gql('query Groups { groups { edges { cursor } } }');
    await gql('{ groupTypes { type } }');
    await gql('query Groups { groups { edges { cursor } } }', {}, { clientId: 'nobody', clientSecret: 'sec_wrong' });
    const track = await app.fetch('http://test/track', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...keyHeaders(t.rootKey) },
      body: JSON.stringify({ type: 'track', payload: { name: 'from_sdk', profileId: 'u1' } }),
    });
    expect(track.status).toBe(200);

    const text = await scrape(app);
    expect(value(text, 'groupgraph_http_requests_total{operation="Track",status="200"}')).toBe(2);
    expect(value(text, 'groupgraph_http_requests_total{operation="Batch",status="200"}')).toBe(1);
    expect(value(text, 'groupgraph_http_requests_total{operation="Groups",status="200"}')).toBe(1);
    // A bad key is refused from the headers, before the body (and its operation name) is read.
    expect(value(text, 'groupgraph_http_requests_total{operation="anonymous",status="401"}')).toBe(1);
    expect(value(text, 'groupgraph_http_requests_total{operation="anonymous",status="200"}')).toBe(1);
    expect(value(text, 'groupgraph_http_requests_total{operation="POST /track",status="200"}')).toBe(1);
    expect(value(text, 'groupgraph_http_request_duration_seconds_count{operation="Track",status="200"}')).toBe(2);
    expect(value(text, 'groupgraph_graphql_errors_total{code="UNAUTHENTICATED"}')).toBe(1);
    expect(value(text, 'groupgraph_graphql_errors_total{code="VALIDATION_FAILED"}')).toBe(1);
    // track: 1 stored + 1 repeat; batch: 2 stored, 2 invalid; TooFar: 1 invalid; /track: 1 stored.
    expect(value(text, 'groupgraph_events_total{outcome="accepted"}')).toBe(4);
    expect(value(text, 'groupgraph_events_total{outcome="duplicate"}')).toBe(1);
    expect(value(text, 'groupgraph_events_total{outcome="rejected"}')).toBe(3);
    expect(value(text, 'groupgraph_db_pool_size')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'groupgraph_db_pool_in_use')).toBeGreaterThanOrEqual(0);
    expect(value(text, 'groupgraph_db_pool_waiting')).toBe(0);
    expect(value(text, 'groupgraph_live_subscriptions')).toBe(0);
    expect(value(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('METRICS_TOKEN requires the bearer token', async () => {
    const app = createApp({ database: t.db, production: true, metrics: { enabled: true, token: 'tok_metrics' } });
    expect((await app.fetch('http://test/metrics')).status).toBe(401);
    expect((await app.fetch('http://test/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const text = await scrape(app, { authorization: 'Bearer tok_metrics' });
    expect(text).toContain('groupgraph_events_total');
  });

  it('METRICS=false turns the endpoint off', async () => {
    const app = createApp({ database: t.db, production: true, metrics: { enabled: false } });
    expect((await app.fetch('http://test/metrics')).status).toBe(404);
  });
});
