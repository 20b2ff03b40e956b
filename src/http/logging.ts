import { randomUUID } from 'node:crypto';

import type { Plugin } from 'graphql-yoga';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  /** JSON lines (production) or readable lines (development). */
  production: boolean;
  level: LevelWithSilent;
  /** Where lines go (default: stdout); tests capture them here. */
  destination?: NodeJS.WritableStream;
}

/**
 * Anything that might hold a credential is replaced before a line is written,
 * whatever a future call site passes in: request headers are never logged, and
 * these paths are a second guard.
 */
const REDACT = [
  'headers.authorization',
  'headers["openpanel-client-secret"]',
  '*.headers.authorization',
  '*.headers["openpanel-client-secret"]',
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

export function createLogger(options: LoggerOptions): Logger {
  const settings = { level: options.level, redact: { paths: REDACT, censor: '[redacted]' } };
  if (options.production) {
    return pino({ ...settings, timestamp: pino.stdTimeFunctions.isoTime }, options.destination ?? process.stdout);
  }
  // pino-pretty as a stream in this thread (not a transport worker): lines appear in order with the rest of the output.
  return pino(
    settings,
    pretty({
      destination: options.destination ?? process.stdout,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
    }),
  );
}

/** x-request-id values taken from clients: short and plain, so they cannot forge log structure. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * One line per request when it is answered: time, level, requestId, method,
 * path, operationName, status, durationMs, projectId. Headers, bodies and
 * variables are never logged (they carry keys and customer data). The
 * request id is the client's `x-request-id` when plain, else a new UUID, and
 * is returned in the response's `x-request-id`.
 */
export function requestLogPlugin(logger: Logger): Plugin {
  const requests = new WeakMap<
    Request,
    { requestId: string; at: bigint; operationName?: string; projectId?: string }
  >();
  const observe = (contextValue: unknown, operationName: string | undefined) => {
    const context = contextValue as { request?: Request; projectId?: string };
    const entry = context.request && requests.get(context.request);
    if (!entry) return;
    entry.projectId = context.projectId;
    if (operationName) entry.operationName = operationName;
  };
  return {
    onRequest({ request }) {
      const given = request.headers.get('x-request-id');
      requests.set(request, {
        requestId: given && REQUEST_ID.test(given) ? given : randomUUID(),
        at: process.hrtime.bigint(),
      });
    },
    onParams({ request, params }) {
      const entry = requests.get(request);
      if (entry && params.operationName) entry.operationName = params.operationName;
    },
    onExecute({ args }) {
      observe(args.contextValue, operationNameOf(args.document, args.operationName));
    },
    onSubscribe({ args }) {
      observe(args.contextValue, operationNameOf(args.document, args.operationName));
    },
    onResponse({ request, response }) {
      const entry = requests.get(request);
      if (!entry) return;
      response.headers.set('x-request-id', entry.requestId);
      const status = response.status;
      const line = {
        requestId: entry.requestId,
        method: request.method,
        path: new URL(request.url).pathname,
        operationName: entry.operationName ?? null,
        status,
        durationMs: Math.round(Number(process.hrtime.bigint() - entry.at) / 1e4) / 100,
        projectId: entry.projectId ?? null,
      };
      if (status >= 500) logger.error(line, 'request');
      else logger.info(line, 'request');
    },
  };
}

function operationNameOf(
  document: { definitions: readonly { kind: string; name?: { value: string } }[] },
  name?: string | null,
): string | undefined {
  if (name) return name;
  const operations = document.definitions.filter((d) => d.kind === 'OperationDefinition');
  return operations.length === 1 ? operations[0]!.name?.value : undefined;
}
