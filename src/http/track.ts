import { readCredentials } from '../auth/credentials.ts';
import { AppError } from '../services/errors.ts';
import type { KeyService, Principal } from '../services/keys.ts';
import type { OpenPanelService } from '../services/openpanel.ts';
import { readBodyWithin } from './body.ts';
import { codedError, restError } from './errors.ts';

export interface TrackHandlerOptions {
  keys: KeyService;
  openpanel: OpenPanelService;
  /** Hides unexpected error messages. */
  production: boolean;
  /** Takes one request from the client's budget or throws RATE_LIMITED. */
  rateLimit?: (clientId: string) => Promise<void>;
  /**
   * Behind a reverse proxy (TRUST_PROXY): the client's IP, for device ids, is
   * the first X-Forwarded-For hop (or X-Real-IP). Otherwise those headers are
   * ignored — any client could set them — and the socket's address is used.
   */
  trustProxy?: boolean;
}

/** What the server knows about the connection beyond the Request. */
export interface Connection {
  remoteAddress?: string;
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

function clientIp(request: Request, connection: Connection, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || request.headers.get('x-real-ip');
    if (forwarded) return forwarded;
  }
  return connection.remoteAddress ?? '';
}

function tooLarge(): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The body exceeds ${TRACK_MAX_BODY_BYTES} bytes`);
}

/** The body as text, refused as soon as it passes the limit, whether declared or streamed without a length. */
async function readBody(request: Request): Promise<string> {
  const body = await readBodyWithin(request, TRACK_MAX_BODY_BYTES);
  if (!body) throw tooLarge();
  return new TextDecoder().decode(body);
}

/**
 * OpenPanel's POST /track: `{ type, payload }` with the OpenPanel headers.
 * Answers `200 {"deviceId","sessionId"}` only after the write committed,
 * `400 {"error","message"}` for a body it cannot take, 401 for bad credentials,
 * 403 for a read-only key, 413 for a body over 1 MiB and 503 with Retry-After
 * while the database is down.
 */
export function createTrackHandler(options: TrackHandlerOptions): TrackHandler {
  async function authenticate(headers: Headers): Promise<Principal> {
    const clientId = headers.get('openpanel-client-id');
    if (clientId && !headers.get('openpanel-client-secret') && !headers.get('authorization')) {
      return options.keys.authenticateFromOrigin(clientId, headers.get('origin'));
    }
    const credentials = readCredentials(headers);
    return options.keys.authenticate(credentials.clientId, credentials.clientSecret);
  }

  return async function track(request, connection = {}) {
    try {
      if (request.method !== 'POST') {
        return reply(405, { error: 'METHOD_NOT_ALLOWED', message: 'Use POST' }, { Allow: 'POST, OPTIONS' });
      }
      const principal = await authenticate(request.headers);
      if (principal.mode !== 'write' && principal.mode !== 'root') {
        throw new AppError('FORBIDDEN', `A ${principal.mode} key may not send events`);
      }
      await options.rateLimit?.(principal.clientId);
      const text = await readBody(request);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new AppError('VALIDATION_FAILED', 'The body must be JSON: {"type": "...", "payload": {...}}');
      }
      const result = await options.openpanel.handle(principal.projectId, body, {
        userAgent: request.headers.get('user-agent') ?? '',
        ip: clientIp(request, connection, options.trustProxy ?? false),
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
