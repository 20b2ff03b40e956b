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
  /** Takes one token for the client or throws RATE_LIMITED with a Retry-After. */
  take(clientId: string): Promise<void>;
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
    async take(clientId) {
      const now = performance.now();
      const bucket = buckets.get(clientId) ?? { tokens: burst, at: now };
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      buckets.set(clientId, bucket);
      if (bucket.tokens < 1) throw limited(((1 - bucket.tokens) / perSecond) * 1000);
      bucket.tokens -= 1;
    },
    async close() {},
  };
}

// One atomic step of a token bucket, on Redis's clock so servers agree.
const TAKE = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait`;

/** Token buckets in Redis, shared by every server process. */
function inRedis({ perSecond, burst, redisUrl }: RateLimitOptions): RateLimiter {
  const redis = new Redis(redisUrl!, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  let warned = false;
  redis.on('error', (error) => {
    if (!warned) console.warn(`rate limiting: Redis unavailable (${error.message}); requests are let through`);
    warned = true;
  });
  return {
    async take(clientId) {
      let wait: number;
      try {
        wait = Number(await redis.eval(TAKE, 1, `groupgraph:rate:${clientId}`, perSecond, burst));
        warned = false;
      } catch {
        return; // Limiting must not take ingestion down with it: fail open.
      }
      if (wait > 0) throw limited(wait);
    },
    async close() {
      redis.disconnect();
    },
  };
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  if (options.perSecond <= 0) return { take: async () => {}, close: async () => {} };
  return options.redisUrl ? inRedis(options) : inProcess(options);
}
