import path from 'node:path';

/** What LOG_LEVEL may say (pino's levels). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

// The only module that reads the environment (model: a typed env module read
// once at start-up). Everything else is handed values: the HTTP app, the
// database and the services never look at process.env.

export interface Config {
  /** GRAPHQL_INTROSPECTION=false turns schema introspection off. */
  introspection: boolean;
  /** MAX_BODY_BYTES: the largest /graphql request body. */
  maxBodyBytes: number;
  /** RATE_LIMIT_PER_SECOND (0 = off), RATE_LIMIT_BURST, REDIS_URL (share buckets between processes). */
  rateLimit: { perSecond: number; burst: number; redisUrl?: string };
  /**
   * AUTH_RATE_LIMIT_PER_SECOND / _BURST: per client IP, failed (and
   * first-time) authentication attempts, each of which may cost a scrypt run.
   */
  authFailureRateLimit: { perSecond: number; burst: number };
  /** MAX_JSON_DEPTH: the deepest nesting a JSON request body (or a GraphQL document) may have. */
  maxJsonDepth: number;
  /** MAX_QUERY_POINTS: estimated points (buckets × series) one operation's analysis fields may compute. */
  maxQueryPoints: number;
  /** MAX_ANALYSIS_FIELDS: analysis fields one operation may run (aliases and list items count). */
  maxAnalysisFields: number;
  /** MAX_RESPONSE_BYTES: the largest /graphql response; a larger answer is a coded error instead. */
  maxResponseBytes: number;
  port: number;
  host: string;
  /** PostgreSQL server; when unset the embedded PGlite database under dataDir is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** NODE_ENV=production: masks unexpected errors and hides GraphiQL's prefilled key. */
  production: boolean;
  /** Pool size for PostgreSQL. */
  databasePoolSize: number;
  /** How long a new PostgreSQL connection may take before the request fails as UNAVAILABLE. */
  databaseConnectTimeoutMs: number;
  /** STATEMENT_TIMEOUT_MS: PostgreSQL cancels a statement running longer (answered as a coded error). */
  statementTimeoutMs: number;
  /** ANALYSIS_CONCURRENCY_PER_PROJECT: analysis queries one project may run at once; more wait briefly, then 429. */
  analysisConcurrencyPerProject: number;
  /** REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS, MAX_CONNECTIONS: what one HTTP client may hold. */
  connections: { requestTimeoutMs: number; headersTimeoutMs: number; maxConnections: number };
  /** Most events one trackBatch call may carry. */
  trackBatchMax: number;
  /** TRUST_PROXY=true: behind a reverse proxy, POST /track takes the client IP from X-Forwarded-For. */
  trustProxy: boolean;
  /** SQL_STATEMENT_LOG: a directory where every distinct SQL statement is appended (the test suite's tenant-scope check). */
  statementLogDir: string | undefined;
  /** METRICS=false turns GET /metrics off; METRICS_TOKEN requires `Authorization: Bearer <token>`. */
  metrics: { enabled: boolean; token?: string };
  /** LOG_LEVEL: trace, debug, info (default), warn, error, fatal or silent. */
  logLevel: (typeof LOG_LEVELS)[number];
}

/** Every setting's default, written once; code that is not handed a setting falls back to these. */
export const DEFAULTS = {
  introspection: true,
  maxBodyBytes: 5 * 1024 * 1024,
  rateLimit: { perSecond: 500, burst: 1000 },
  authFailureRateLimit: { perSecond: 5, burst: 20 },
  maxJsonDepth: 64,
  maxQueryPoints: 250_000,
  maxAnalysisFields: 10,
  maxResponseBytes: 32 * 1024 * 1024,
  port: 4000,
  /** Outside production only this machine can connect; production listens on every interface. */
  host: { development: '127.0.0.1', production: '0.0.0.0' },
  dataDir: '.data',
  databasePoolSize: 10,
  databaseConnectTimeoutMs: 5000,
  statementTimeoutMs: 15_000,
  analysisConcurrencyPerProject: 4,
  connections: { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, maxConnections: 1_000 },
  trackBatchMax: 1000,
  trustProxy: false,
  metrics: { enabled: true },
  logLevel: 'info',
} as const;

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function logLevel(env: NodeJS.ProcessEnv): Config['logLevel'] {
  const raw = (env.LOG_LEVEL || DEFAULTS.logLevel).toLowerCase();
  const level = LOG_LEVELS.find((l) => l === raw);
  if (!level) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return level;
}

/** Reads and validates the environment once, at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    introspection: boolean(env, 'GRAPHQL_INTROSPECTION', DEFAULTS.introspection),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', DEFAULTS.maxBodyBytes, 1024, 1024 * 1024 * 1024),
    rateLimit: {
      perSecond: integer(env, 'RATE_LIMIT_PER_SECOND', DEFAULTS.rateLimit.perSecond, 0, 1_000_000),
      burst: integer(env, 'RATE_LIMIT_BURST', DEFAULTS.rateLimit.burst, 1, 10_000_000),
      redisUrl: env.REDIS_URL || undefined,
    },
    authFailureRateLimit: {
      perSecond: integer(env, 'AUTH_RATE_LIMIT_PER_SECOND', DEFAULTS.authFailureRateLimit.perSecond, 0, 1_000_000),
      burst: integer(env, 'AUTH_RATE_LIMIT_BURST', DEFAULTS.authFailureRateLimit.burst, 1, 10_000_000),
    },
    maxJsonDepth: integer(env, 'MAX_JSON_DEPTH', DEFAULTS.maxJsonDepth, 1, 10_000),
    maxQueryPoints: integer(env, 'MAX_QUERY_POINTS', DEFAULTS.maxQueryPoints, 1, 1_000_000_000),
    maxAnalysisFields: integer(env, 'MAX_ANALYSIS_FIELDS', DEFAULTS.maxAnalysisFields, 1, 10_000),
    maxResponseBytes: integer(env, 'MAX_RESPONSE_BYTES', DEFAULTS.maxResponseBytes, 1024, 2 ** 31 - 1),
    port: integer(env, 'PORT', DEFAULTS.port, 0, 65535),
    host: env.HOST || (env.NODE_ENV === 'production' ? DEFAULTS.host.production : DEFAULTS.host.development),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || DEFAULTS.dataDir),
    production: env.NODE_ENV === 'production',
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', DEFAULTS.databasePoolSize, 1, 1000),
    databaseConnectTimeoutMs: integer(
      env,
      'DATABASE_CONNECT_TIMEOUT_MS',
      DEFAULTS.databaseConnectTimeoutMs,
      100,
      600_000,
    ),
    statementTimeoutMs: integer(env, 'STATEMENT_TIMEOUT_MS', DEFAULTS.statementTimeoutMs, 100, 3_600_000),
    analysisConcurrencyPerProject: integer(
      env,
      'ANALYSIS_CONCURRENCY_PER_PROJECT',
      DEFAULTS.analysisConcurrencyPerProject,
      1,
      1000,
    ),
    connections: {
      requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', DEFAULTS.connections.requestTimeoutMs, 1_000, 3_600_000),
      headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', DEFAULTS.connections.headersTimeoutMs, 1_000, 3_600_000),
      maxConnections: integer(env, 'MAX_CONNECTIONS', DEFAULTS.connections.maxConnections, 1, 1_000_000),
    },
    trackBatchMax: integer(env, 'TRACK_BATCH_MAX', DEFAULTS.trackBatchMax, 1, 100_000),
    trustProxy: boolean(env, 'TRUST_PROXY', DEFAULTS.trustProxy),
    statementLogDir: env.SQL_STATEMENT_LOG ? path.resolve(env.SQL_STATEMENT_LOG) : undefined,
    metrics: {
      enabled: boolean(env, 'METRICS', DEFAULTS.metrics.enabled),
      token: env.METRICS_TOKEN || undefined,
    },
    logLevel: logLevel(env),
  };
}
