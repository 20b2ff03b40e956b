import { GraphQLError } from 'graphql';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';

import { DEFAULTS } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Context } from '../graphql/context.ts';
import { createLoaders } from '../graphql/loaders.ts';
import { schema } from '../graphql/schema.ts';
import { createServices } from '../services/index.ts';
import { createRequestAuthenticator } from './authenticate.ts';
import { batchLimit } from './batchLimit.ts';
import { authenticateFirst } from './authenticateFirst.ts';
import { connectionOf } from './clientIp.ts';
import { dashboardRoutes } from './dashboard.ts';
import { codedError, maskError } from './errors.ts';
import { hardeningPlugins, type HardeningOptions } from './hardening.ts';
import { healthResponse, readyResponse } from './health.ts';
import { isLocalRequest } from './loopback.ts';
import { createLogger, requestLogPlugin, type Logger } from './logging.ts';
import { Metrics, type MetricsOptions } from './metrics.ts';
import { createTrackHandler } from './track.ts';
import { createRateLimiter, type RateLimitOptions, type RateLimiter } from './rateLimit.ts';

export interface AppOptions {
  database: Database;
  /** Masks unexpected errors and never prefills GraphiQL with a key. */
  production: boolean;
  /** Headers GraphiQL starts with (the first root key), outside production. */
  graphiqlHeaders?: Record<string, string>;
  // The settings below come from Config; omitted ones take config.ts's DEFAULTS.
  /** Introspection, the request body limit, query cost and response size limits. */
  hardening?: Partial<Omit<HardeningOptions, 'production' | 'maxJsonDepth'>>;
  /** Per-client token buckets. */
  rateLimit?: RateLimitOptions;
  /** Per-IP token buckets for failed and not-yet-verified authentication attempts. */
  authFailureRateLimit?: RateLimitOptions;
  /** Deepest JSON request body accepted (/graphql and POST /track). */
  maxJsonDepth?: number;
  /** Most events one trackBatch may carry. */
  trackBatchMax?: number;
  /** Analysis queries one project may run at once. */
  analysisConcurrencyPerProject?: number;
  /** POST /track reads the client IP from X-Forwarded-For / X-Real-IP. */
  trustProxy?: boolean;
  /** GET /metrics (Prometheus); on without a token when omitted. */
  metrics?: MetricsOptions;
  /** Request lines and server errors; omitted: warnings and errors only. */
  logger?: Logger;
}

export type App = YogaServerInstance<Record<string, never>, Context> & {
  rateLimiter: RateLimiter;
  authFailureLimiter: RateLimiter;
  /** Ends live subscriptions and stops listening to the database. */
  closeLive(): Promise<void>;
  /** Live subscriptions open in this process. */
  liveSubscribers(): number;
};

/** Builds the HTTP application (GraphQL, /health). It does not listen. */
export function createApp(options: AppOptions): App {
  const log = options.logger ?? createLogger({ production: options.production, level: 'warn' });
  const metrics = new Metrics(options.metrics ?? DEFAULTS.metrics, {
    poolStats: () => options.database.poolStats(),
    liveSubscribers: () => services.live.subscriberCount,
  });
  const services = createServices(options.database.prisma, {
    trackBatchMax: options.trackBatchMax ?? DEFAULTS.trackBatchMax,
    listen: (channel, onPayload) => options.database.listen(channel, onPayload),
    onEvents: (outcome, count) => metrics.countEvents(outcome, count),
    analysisConcurrencyPerProject: options.analysisConcurrencyPerProject ?? DEFAULTS.analysisConcurrencyPerProject,
  });
  const rateLimiter = createRateLimiter(options.rateLimit ?? DEFAULTS.rateLimit);
  const authFailureLimiter = createRateLimiter(
    { ...DEFAULTS.authFailureRateLimit, redisUrl: options.rateLimit?.redisUrl, ...options.authFailureRateLimit },
    'auth-failure-ip',
  );
  const authenticator = createRequestAuthenticator({ keys: services.keys, rateLimiter, failures: authFailureLimiter });
  const trustProxy = options.trustProxy ?? DEFAULTS.trustProxy;
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULTS.maxJsonDepth;
  const track = createTrackHandler({
    authenticator,
    openpanel: services.openpanel,
    production: options.production,
    trustProxy,
    maxJsonDepth,
  });
  const gate = authenticateFirst({
    authenticator,
    limits: { maxBytes: options.hardening?.maxBodyBytes ?? DEFAULTS.maxBodyBytes, maxJsonDepth },
    trustProxy,
  });

  const routes: Plugin = {
    async onRequest({ url, request, serverContext, endResponse }) {
      if (url.pathname === '/health') endResponse(await healthResponse(options.database, rateLimiter.state()));
      else if (url.pathname === '/ready') endResponse(await readyResponse(options.database));
      // OpenPanel's SDKs post here (CORS preflights are answered by yoga before this).
      else if (url.pathname === '/track') endResponse(await track(request, connectionOf(serverContext)));
    },
  };

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/yoga-health',
    landingPage: false,
    logging: yogaLogger(log),
    maskedErrors: { maskError, isDev: !options.production },
    // GraphiQL's scripts, styles and workers come inline in the page (no CDN), so it works offline.
    renderGraphiQL,
    // The development root key goes only to a browser on this machine that
    // talks to it by a loopback name (see loopback.ts), never in production.
    graphiql: (request, serverContext) => ({
      title: 'groupgraph',
      headers:
        !options.production &&
        options.graphiqlHeaders &&
        isLocalRequest(request, connectionOf(serverContext).remoteAddress)
          ? JSON.stringify(options.graphiqlHeaders)
          : undefined,
      defaultQuery: DEFAULT_QUERY,
    }),
    plugins: [
      requestLogPlugin(log),
      metrics.plugin(),
      routes,
      dashboardRoutes({ production: options.production, bootstrapHeaders: options.graphiqlHeaders }),
      ...hardeningPlugins({
        introspection: options.hardening?.introspection ?? DEFAULTS.introspection,
        maxBodyBytes: options.hardening?.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
        production: options.production,
        maxJsonDepth,
        maxQueryPoints: options.hardening?.maxQueryPoints ?? DEFAULTS.maxQueryPoints,
        maxAnalysisFields: options.hardening?.maxAnalysisFields ?? DEFAULTS.maxAnalysisFields,
        maxResponseBytes: options.hardening?.maxResponseBytes ?? DEFAULTS.maxResponseBytes,
      }),
      gate.plugin,
      batchLimit(options.trackBatchMax ?? DEFAULTS.trackBatchMax),
    ],
    // What this throws (bad credentials, rate limit, database down) reaches
    // maskError like a resolver's error, so it keeps its code and HTTP status.
    // The principal was found from the headers before the body was read.
    async context({ request }) {
      const principal = gate.principalOf(request);
      if (!principal) throw new Error('The request reached execution without authentication');
      return Object.freeze({
        projectId: principal.projectId,
        mode: principal.mode,
        clientId: principal.clientId,
        services,
        loaders: createLoaders(services, principal.projectId),
      });
    },
  });
  return Object.assign(yoga, {
    rateLimiter,
    authFailureLimiter,
    closeLive: () => services.live.close(),
    liveSubscribers: () => services.live.subscriberCount,
  });
}

/**
 * Failures a client can act on (bad input, unknown key, graphql-js's own
 * errors) are the client's business, not the operator's; unexpected errors and
 * a database that does not answer are logged.
 */
function forOperator(arg: unknown): boolean {
  const original = arg instanceof GraphQLError ? (arg.originalError ?? arg) : arg;
  if (original instanceof GraphQLError) return false;
  const coded = codedError(original);
  return !coded || coded.code === 'UNAVAILABLE';
}

/** Yoga's own messages, through the server's logger. */
function yogaLogger(log: Logger) {
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  return {
    debug: (...args: unknown[]) => log.debug(text(args)),
    info: (...args: unknown[]) => log.info(text(args)),
    warn: (...args: unknown[]) => log.warn(text(args)),
    error: (...args: unknown[]) => {
      if (!args.some(forOperator)) return;
      const err = args.find((a): a is Error => a instanceof Error);
      log.error(err ? { err } : {}, text(args));
    },
  };
}

const DEFAULT_QUERY = /* GraphQL */ `
  # Welcome to groupgraph. The headers below carry this project's root key.
  mutation CreateAcme {
    upsertGroup(input: { id: "org_acme", type: "company", name: "Acme Inc", properties: { plan: "pro", seats: 25 } }) {
      id
      name
      properties
    }
  }

  mutation TrackExport {
    track(input: { name: "report_exported", profileId: "user_123", groups: ["org_acme"] }) {
      duplicate
      event {
        id
        name
        groupIds
        createdAt
      }
    }
  }

  query Acme {
    group(id: "org_acme") {
      id
      type
      name
      properties
      createdAt
    }
  }
`;
