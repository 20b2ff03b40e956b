import { AppError } from '../services/errors.ts';
import type { OpenPanelService } from '../services/openpanel.ts';
import type { RequestAuthenticator } from './authenticate.ts';
import { readJsonBody } from './body.ts';
import { clientIp, type Connection } from './clientIp.ts';
import { codedError, restError } from './errors.ts';

export type { Connection } from './clientIp.ts';

export interface TrackHandlerOptions {
  /** Credentials (or a browser's allowed origin) and rate limits, from the headers. */
  authenticator: RequestAuthenticator;
  openpanel: OpenPanelService;
  /** Hides unexpected error messages. */
  production: boolean;
  /**
   * Behind a reverse proxy (TRUST_PROXY): the client's IP, for device ids and
   * per-IP limits, is the first X-Forwarded-For hop (or X-Real-IP).
   */
  trustProxy?: boolean;
  /** Deepest JSON body accepted; deeper ones are refused while being read. */
  maxJsonDepth: number;
}

export type TrackHandler = (request: Request, connection?: Connection) => Promise<Response>;

/** One OpenPanel call is a single event or profile change: far below this. */
export const TRACK_MAX_BODY_BYTES = 1024 * 1024;

function reply(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

function errorReply(error: AppError): Response {
  const { status, body, headers } = restError(error);
  return reply(status, body, headers);
}

/**
 * OpenPanel's POST /track: `{ type, payload }` with the OpenPanel headers.
 * Answers `200 {"deviceId","sessionId"}` only after the write committed,
 * `400 {"error","message"}` for a body it cannot take, 401 for bad credentials,
 * 403 for a read-only key, 413 for a body over 1 MiB and 503 with Retry-After
 * while the database is down.
 */
export function createTrackHandler(options: TrackHandlerOptions): TrackHandler {
  return async function track(request, connection = {}) {
    try {
      if (request.method !== 'POST') {
        return reply(405, { error: 'METHOD_NOT_ALLOWED', message: 'Use POST' }, { Allow: 'POST, OPTIONS' });
      }
      const ip = clientIp(request, connection, options.trustProxy ?? false);
      const principal = await options.authenticator.authenticate(request.headers, ip, { allowOrigin: true });
      if (principal.mode !== 'write' && principal.mode !== 'root') {
        throw new AppError('FORBIDDEN', `A ${principal.mode} key may not send events`);
      }
      const bytes = await readJsonBody(request, { maxBytes: TRACK_MAX_BODY_BYTES, maxJsonDepth: options.maxJsonDepth });
      const text = new TextDecoder().decode(bytes);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new AppError('VALIDATION_FAILED', 'The body must be JSON: {"type": "...", "payload": {...}}');
      }
      const result = await options.openpanel.handle(principal.projectId, body, {
        userAgent: request.headers.get('user-agent') ?? '',
        ip,
        withSecret: Boolean(request.headers.get('openpanel-client-secret') || request.headers.get('authorization')),
      });
      return reply(200, result);
    } catch (error) {
      const coded = codedError(error);
      if (coded) return errorReply(coded);
      console.error('POST /track failed:', error);
      const message = options.production ? 'Unexpected error' : String((error as Error)?.message ?? error);
      return reply(500, { error: 'INTERNAL_SERVER_ERROR', message });
    }
  };
}
