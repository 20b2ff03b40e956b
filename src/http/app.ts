import { GraphQLError } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';

import { readCredentials } from '../auth/credentials.ts';
import { readTrackBatchMax } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Context } from '../graphql/context.ts';
import { createLoaders } from '../graphql/loaders.ts';
import { schema } from '../graphql/schema.ts';
import { AppError } from '../services/errors.ts';
import { createServices } from '../services/index.ts';
import { dashboardRoutes } from './dashboard.ts';
import { isDatabaseUnavailable, maskError, toGraphQLError } from './errors.ts';
import { hardeningPlugins, type HardeningOptions } from './hardening.ts';
import { healthResponse } from './health.ts';
import { createTrackHandler } from './track.ts';
import { createRateLimiter, type RateLimitOptions, type RateLimiter } from './rateLimit.ts';

export interface AppOptions {
  database: Database;
  /** Masks unexpected errors and never prefills GraphiQL with a key. */
  production: boolean;
  /** Headers GraphiQL starts with (the first root key), outside production. */
  graphiqlHeaders?: Record<string, string>;
  /** Introspection (default on) and the request body limit (default 5 MB). */
  hardening?: Partial<Omit<HardeningOptions, 'production'>>;
  /** Per-client token buckets (default 500/s, bursts of 1,000). */
  rateLimit?: RateLimitOptions;
  /** Most events one trackBatch may carry (default: TRACK_BATCH_MAX, else 1,000). */
  trackBatchMax?: number;
  /** POST /track reads the client IP from X-Forwarded-For / X-Real-IP (TRUST_PROXY; default off). */
  trustProxy?: boolean;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 500, burst: 1000 };
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

export type App = YogaServerInstance<Record<string, never>, Context> & { rateLimiter: RateLimiter };

/** Builds the HTTP application (GraphQL, /health). It does not listen. */
export function createApp(options: AppOptions): App {
  const services = createServices(options.database.prisma, {
    trackBatchMax: options.trackBatchMax ?? readTrackBatchMax(),
  });
  const rateLimiter = createRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const track = createTrackHandler({
    keys: services.keys,
    openpanel: services.openpanel,
    production: options.production,
    rateLimit: (clientId) => rateLimiter.take(clientId),
    trustProxy: options.trustProxy,
  });

  const routes: Plugin = {
    async onRequest({ url, request, serverContext, endResponse }) {
      if (url.pathname === '/health') endResponse(await healthResponse(options.database));
      // OpenPanel's SDKs post here (CORS preflights are answered by yoga before this).
      else if (url.pathname === '/track') {
        const socket = (serverContext as { req?: { socket?: { remoteAddress?: string } } }).req?.socket;
        endResponse(await track(request, { remoteAddress: socket?.remoteAddress }));
      }
    },
  };

  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/yoga-health',
    landingPage: false,
    logging: logger(options.production),
    maskedErrors: { maskError, isDev: !options.production },
    graphiql: {
      title: 'groupgraph',
      headers: options.production ? undefined : JSON.stringify(options.graphiqlHeaders ?? {}),
      defaultQuery: DEFAULT_QUERY,
    },
    plugins: [
      routes,
      dashboardRoutes({ production: options.production, bootstrapHeaders: options.graphiqlHeaders }),
      ...hardeningPlugins({
        introspection: options.hardening?.introspection ?? true,
        maxBodyBytes: options.hardening?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        production: options.production,
      }),
    ],
    async context({ request }) {
      try {
        const { clientId, clientSecret } = readCredentials(request.headers);
        const principal = await services.keys.authenticate(clientId, clientSecret);
        await rateLimiter.take(principal.clientId);
        return Object.freeze({
          projectId: principal.projectId,
          mode: principal.mode,
          clientId: principal.clientId,
          services,
          loaders: createLoaders(services, principal.projectId),
        });
      } catch (error) {
        if (error instanceof AppError) throw toGraphQLError(error);
        if (isDatabaseUnavailable(error)) {
          throw toGraphQLError(
            new AppError('UNAVAILABLE', 'The database is unavailable; retry shortly.', { retryAfterSeconds: 5 }),
          );
        }
        throw error;
      }
    },
  });
  return Object.assign(yoga, { rateLimiter });
}

/** Expected failures (bad input, unknown key) are the client's business, not the operator's. */
function logger(production: boolean) {
  const expected = (args: unknown[]) =>
    args.some((a) => {
      if (a instanceof AppError) return true;
      if (!(a instanceof GraphQLError)) return false;
      return !a.originalError || a.originalError instanceof AppError || a.originalError instanceof GraphQLError;
    });
  return {
    debug: () => {},
    info: production ? () => {} : (...args: unknown[]) => console.info(...args),
    warn: (...args: unknown[]) => console.warn(...args),
    error: (...args: unknown[]) => {
      if (!expected(args)) console.error(...args);
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
