import path from 'node:path';

export interface Config {
  /** GRAPHQL_INTROSPECTION=false turns schema introspection off. */
  introspection: boolean;
  maxBodyBytes: number;
  rateLimit: { perSecond: number; burst: number; redisUrl?: string };
  port: number;
  host: string;
  /** PostgreSQL server; when unset the embedded PGlite database under dataDir is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  production: boolean;
  /** Pool size for PostgreSQL. */
  databasePoolSize: number;
  /** How long a new PostgreSQL connection may take before the request fails as UNAVAILABLE. */
  databaseConnectTimeoutMs: number;
  /** Most events one trackBatch call may carry. */
  trackBatchMax: number;
  /** TRUST_PROXY=true: behind a reverse proxy, POST /track takes the client IP from X-Forwarded-For. */
  trustProxy: boolean;
}

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

/** Reads and validates the environment once, at start-up. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    introspection: boolean(env, 'GRAPHQL_INTROSPECTION', true),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    rateLimit: {
      perSecond: integer(env, 'RATE_LIMIT_PER_SECOND', 500, 0, 1_000_000),
      burst: integer(env, 'RATE_LIMIT_BURST', 1000, 1, 10_000_000),
      redisUrl: env.REDIS_URL || undefined,
    },
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    production: env.NODE_ENV === 'production',
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    databaseConnectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
    trackBatchMax: readTrackBatchMax(env),
    trustProxy: boolean(env, 'TRUST_PROXY', false),
  };
}

export const DEFAULT_TRACK_BATCH_MAX = 1000;

/** TRACK_BATCH_MAX: the largest trackBatch accepted (default 1,000). */
export function readTrackBatchMax(env: NodeJS.ProcessEnv = process.env): number {
  return integer(env, 'TRACK_BATCH_MAX', DEFAULT_TRACK_BATCH_MAX, 1, 100_000);
}
