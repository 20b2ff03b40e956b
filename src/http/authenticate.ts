import { readCredentials } from '../auth/credentials.ts';
import { AppError } from '../services/errors.ts';
import type { KeyService, Principal } from '../services/keys.ts';
import type { RateLimiter } from './rateLimit.ts';

export interface RequestAuthenticator {
  /**
   * Who is asking, from the headers alone (the body is not read yet), within
   * their rate limit; throws UNAUTHENTICATED or RATE_LIMITED. With
   * `allowOrigin`, a browser may send a write key's client id alone from one of
   * the project's allowed origins (POST /track).
   */
  authenticate(headers: Headers, ip: string, options?: { allowOrigin?: boolean }): Promise<Principal>;
}

/**
 * Checking a secret the first time costs a scrypt run (tens of ms of a worker
 * thread and 16 MB); a flood of wrong secrets would take those threads from
 * keys that verified long ago. So every attempt that fails, and every slow
 * check, takes a token from the client IP's `failures` bucket, and an IP whose
 * bucket is empty gets 429 before any scrypt runs. A slow check that succeeds
 * gives its token back: valid keys never use up their IP's budget. Keys this
 * process has verified before cost nothing and are never refused by it.
 */
export function createRequestAuthenticator(deps: {
  keys: KeyService;
  /** Per API client, after authentication. */
  rateLimiter: RateLimiter;
  /** Per client IP: failed and not-yet-verified attempts. */
  failures: RateLimiter;
}): RequestAuthenticator {
  const { keys, rateLimiter, failures } = deps;
  return {
    async authenticate(headers, ip, options = {}) {
      let slowCheck = false;
      let principal: Principal;
      try {
        const clientId = headers.get('openpanel-client-id');
        if (
          options.allowOrigin &&
          clientId &&
          !headers.get('openpanel-client-secret') &&
          !headers.get('authorization')
        ) {
          principal = await keys.authenticateFromOrigin(clientId, headers.get('origin'));
        } else {
          const credentials = readCredentials(headers);
          principal = await keys.authenticate(credentials.clientId, credentials.clientSecret, {
            beforeSlowCheck: async () => {
              await failures.take(ip);
              slowCheck = true;
            },
          });
        }
      } catch (error) {
        if (error instanceof AppError && error.code === 'UNAUTHENTICATED' && !slowCheck) {
          // Missing or malformed credentials, or an origin not allowed: count the
          // failure (a slow check counted itself already); an IP over its
          // budget gets RATE_LIMITED instead.
          await failures.take(ip);
        }
        throw error;
      }
      if (slowCheck) await failures.take(ip, -1);
      await rateLimiter.take(principal.clientId);
      return principal;
    },
  };
}
