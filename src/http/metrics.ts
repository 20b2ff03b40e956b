import { timingSafeEqual } from 'node:crypto';

import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { PoolStats } from '../db/database.ts';
import type { EventOutcome } from '../services/ingest.ts';

export interface MetricsOptions {
  /** false: no /metrics (404) and nothing is collected. */
  enabled: boolean;
  /** When set, /metrics needs `Authorization: Bearer <token>`. */
  token?: string;
}

export interface MetricsSources {
  poolStats(): PoolStats;
  liveSubscribers(): number;
}

const OPERATION_NAME = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** Operation names come from clients: past this many distinct ones, the rest count as "other". */
const MAX_OPERATION_NAMES = 200;

/**
 * Prometheus metrics of one app (its own registry, so several apps in one
 * process — the tests — do not mix their counts), served at GET /metrics.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'operation' | 'status'>;
  private readonly duration: Histogram<'operation' | 'status'>;
  private readonly errors: Counter<'code'>;
  private readonly events: Counter<'outcome'>;
  private readonly operationNames = new Set<string>();

  constructor(
    private readonly options: MetricsOptions,
    sources: MetricsSources,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'groupgraph_http_requests_total',
      help: 'HTTP requests by GraphQL operation name (or route) and status.',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.duration = new Histogram({
      name: 'groupgraph_http_request_duration_seconds',
      help: 'HTTP request latency by GraphQL operation name (or route) and status.',
      labelNames: ['operation', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.errors = new Counter({
      name: 'groupgraph_graphql_errors_total',
      help: 'GraphQL errors by extensions.code.',
      labelNames: ['code'],
      registers,
    });
    this.events = new Counter({
      name: 'groupgraph_events_total',
      help: 'Events sent, by outcome: accepted (stored), duplicate (stored before), rejected (invalid).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['accepted', 'duplicate', 'rejected']) this.events.inc({ outcome }, 0);
    const pool = (name: string, help: string, read: (stats: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(sources.poolStats()));
        },
      });
    pool('groupgraph_db_pool_size', 'Open database connections.', (s) => s.size);
    pool('groupgraph_db_pool_in_use', 'Database connections busy with a query.', (s) => s.inUse);
    pool('groupgraph_db_pool_waiting', 'Requests waiting for a database connection.', (s) => s.waiting);
    new Gauge({
      name: 'groupgraph_live_subscriptions',
      help: 'Open Subscription.events streams in this process.',
      registers,
      collect() {
        this.set(sources.liveSubscribers());
      },
    });
  }

  countEvents(outcome: EventOutcome, count: number): void {
    if (this.options.enabled && count > 0) this.events.inc({ outcome }, count);
  }

  private operationLabel(name: string | undefined): string {
    if (!name) return 'anonymous';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= MAX_OPERATION_NAMES) return 'other';
    this.operationNames.add(name);
    return name;
  }

  private authorized(request: Request): boolean {
    if (!this.options.token) return true;
    const given = Buffer.from(request.headers.get('authorization') ?? '');
    const expected = Buffer.from(`Bearer ${this.options.token}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Serves /metrics and observes every request; first among the plugins, so it sees them all. */
  plugin(): Plugin {
    const started = new WeakMap<Request, { at: bigint; operation?: string }>();
    const observeDocument = (request: Request | undefined, document: DocumentNode, operationName?: string | null) => {
      const entry = request && started.get(request);
      if (entry) entry.operation = getOperationAST(document, operationName)?.name?.value ?? '';
    };
    return {
      onRequest: async ({ url, request, endResponse }) => {
        if (!this.options.enabled) return;
        if (url.pathname === '/metrics') {
          if (request.method !== 'GET') endResponse(new Response(null, { status: 405, headers: { allow: 'GET' } }));
          else if (!this.authorized(request))
            endResponse(
              Response.json(
                { error: 'UNAUTHENTICATED', message: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>' },
                { status: 401, headers: { 'www-authenticate': 'Bearer' } },
              ),
            );
          else
            endResponse(
              new Response(await this.registry.metrics(), { headers: { 'content-type': this.registry.contentType } }),
            );
          return;
        }
        started.set(request, { at: process.hrtime.bigint() });
      },
      onParams: ({ params, request }) => {
        const entry = started.get(request);
        // Execution names the operation from the parsed document (onExecute); a request
        // refused before it (bad key, rate limit) is named from its text alone.
        // Parameters are not validated yet (Yoga answers 400 for a query that is not a string).
        const name = typeof params.operationName === 'string' ? params.operationName : undefined;
        const query = typeof params.query === 'string' ? params.query : undefined;
        if (entry) entry.operation = name ?? query?.match(OPERATION_NAME)?.[1];
      },
      onExecute: ({ args }) => {
        observeDocument((args.contextValue as { request?: Request }).request, args.document, args.operationName);
      },
      onSubscribe: ({ args }) => {
        observeDocument((args.contextValue as { request?: Request }).request, args.document, args.operationName);
      },
      onResultProcess: ({ result }) => {
        for (const one of Array.isArray(result) ? result : [result]) {
          for (const error of (one as ExecutionResult).errors ?? []) {
            const code = error.extensions?.code;
            this.errors.inc({ code: typeof code === 'string' ? code : 'UNKNOWN' });
          }
        }
      },
      onResponse: ({ request, response }) => {
        const entry = started.get(request);
        if (!entry) return;
        const url = new URL(request.url);
        const operation =
          url.pathname === '/graphql'
            ? this.operationLabel(entry.operation)
            : `${request.method} ${routeOf(url.pathname)}`;
        const labels = { operation, status: String(response.status) };
        this.requests.inc(labels);
        this.duration.observe(labels, Number(process.hrtime.bigint() - entry.at) / 1e9);
      },
    };
  }
}

/** Paths as routes, so dashboard asset names do not each become a label. */
function routeOf(pathname: string): string {
  if (['/track', '/health', '/ready', '/'].includes(pathname)) return pathname;
  return pathname.startsWith('/assets/') ? '/assets/*' : 'other';
}
