import { Redis } from 'ioredis';

import { AppError } from '../services/errors.ts';

// Our own token bucket rather than rate-limiter-flexible: its limiters count
// fixed windows (points per duration), which let twice the limit through at a
// window edge and cannot say "500/s sustained, bursts of 1,000" as one bucket;
// its bursty variant chains two windows. One bucket, in memory or as one
// atomic Lua step on Redis, is less code than configuring that, and gives an
// exact Retry-After.

export interface RateLimitOptions {
  /** Sustained requests per second per API client; 0 turns limiting off. */
  perSecond: number;
  /** Requests a client may send at once after being idle. */
  burst: number;
  /** Share buckets between server processes through Redis. */
  redisUrl?: string;
}

export interface RateLimiter {
  /**
   * Takes `cost` tokens (default 1) for the client or throws RATE_LIMITED with a
   * Retry-After. A negative cost gives tokens back (up to the burst).
   */
  take(clientId: string, cost?: number): Promise<void>;
  /** Where buckets live now: `redis`, `in-process`, `in-process (Redis unavailable)` or `off`. */
  state(): string;
  close(): Promise<void>;
}

function limited(waitMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AppError('RATE_LIMITED', `Too many requests for this API client; retry in ${seconds} s.`, {
    retryAfterSeconds: seconds,
  });
}

/** Token buckets in this process's memory. */
function inProcess({ perSecond, burst }: RateLimitOptions): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    async take(clientId, cost = 1) {
      const now = performance.now();
      const bucket = buckets.get(clientId) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      buckets.set(clientId, bucket);
      if (cost > 0 && bucket.tokens < cost) throw limited(((cost - bucket.tokens) / perSecond) * 1000);
      bucket.tokens = Math.min(burst, bucket.tokens - cost);
      // A full bucket is what a missing one means: forget it, so a flood of
      // one-off client ids (or IPs) cannot grow the map without bound.
      if (bucket.tokens >= burst) buckets.delete(clientId);
    },
    state: () => 'in-process',
    async close() {},
  };
}

// One atomic step of a token bucket, on Redis's clock so servers agree.
const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local wait = 0
if cost <= 0 or tokens >= cost then tokens = math.min(burst, tokens - cost) else wait = math.ceil((cost - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait`;

/**
 * Token buckets in Redis, shared by every server process. While Redis does not
 * answer, this process's own buckets take over (each process then allows the
 * full rate on its own): limiting degrades, it never silently stops. The
 * switch is logged both ways and reported by `state()` (shown by /health).
 */
function inRedis(options: RateLimitOptions, keyPrefix: string): RateLimiter {
  const redis = new Redis(options.redisUrl!, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    // A Redis that stops answering must not hold requests up: fall back instead.
    commandTimeout: 500,
  });
  const fallback = inProcess(options);
  let degraded = false;
  const degrade = (reason: string) => {
    if (!degraded) console.warn(`rate limiting: Redis unavailable (${reason}); limiting per process until it answers`);
    degraded = true;
  };
  redis.on('error', (error: Error) => degrade(error.message));
  return {
    async take(clientId, cost = 1) {
      let wait: number;
      try {
        wait = Number(await redis.eval(TAKE, 1, `${keyPrefix}${clientId}`, options.perSecond, options.burst, cost));
      } catch (error) {
        degrade((error as Error).message);
        return fallback.take(clientId, cost);
      }
      if (degraded) console.warn('rate limiting: Redis answers again; buckets are shared between processes');
      degraded = false;
      if (wait > 0) throw limited(wait);
    },
    state: () => (degraded ? 'in-process (Redis unavailable)' : 'redis'),
    async close() {
      redis.disconnect();
    },
  };
}

/** `name` keeps limiters that share a Redis apart (API clients, client IPs). */
export function createRateLimiter(options: RateLimitOptions, name = 'client'): RateLimiter {
  if (options.perSecond <= 0) return { take: async () => {}, state: () => 'off', close: async () => {} };
  return options.redisUrl ? inRedis(options, `groupgraph:rate:${name}:`) : inProcess(options);
}
