import type { Plugin } from 'graphql-yoga';

import { AppError } from '../services/errors.ts';
import type { Principal } from '../services/keys.ts';
import type { RequestAuthenticator } from './authenticate.ts';
import { readJsonBody, type BodyLimits } from './body.ts';
import { clientIp, connectionOf } from './clientIp.ts';
import { ERROR_STATUS, toGraphQLError } from './errors.ts';

function wholeRequestError(error: AppError) {
  const graphQLError = toGraphQLError(error);
  graphQLError.extensions.http = { status: ERROR_STATUS[error.code].status };
  return graphQLError;
}

/**
 * The order in which /graphql looks at a request: credentials and rate limit
 * from the headers first, then the body — read within its byte and JSON depth
 * limits — and only then Yoga's own parsing. Nobody without a valid key makes
 * the server read, scan or parse a body, and a deep body is refused at its
 * first bracket past the limit instead of being parsed in full.
 *
 * The principal found here is handed to the context factory through
 * `principalOf` (keyed by the Request object, which Yoga passes on unchanged).
 */
export function authenticateFirst(options: {
  authenticator: RequestAuthenticator;
  limits: BodyLimits;
  trustProxy: boolean;
}): { plugin: Plugin; principalOf(request: Request): Principal | undefined } {
  const principals = new WeakMap<Request, Principal>();
  const plugin: Plugin = {
    // Runs for GraphQL requests only: GraphiQL, CORS preflights, /health,
    // /track and the dashboard have been answered by onRequest hooks before.
    async onRequestParse({ request, serverContext, requestParser, setRequestParser }) {
      const ip = clientIp(request, connectionOf(serverContext), options.trustProxy);
      principals.set(request, await options.authenticator.authenticate(request.headers, ip));
      if (request.method !== 'POST' || !requestParser) return;
      const parse = requestParser;
      // Yoga's parsers read the body without a bound; give them one already read.
      const isJson = /json/i.test(request.headers.get('content-type') ?? '');
      const limits = isJson ? options.limits : { maxBytes: options.limits.maxBytes };
      setRequestParser(async (original) => {
        const body = await readJsonBody(original, limits).catch((error: unknown) => {
          // A body refused while reading fails the whole request: 413 or 400.
          throw error instanceof AppError ? wholeRequestError(error) : error;
        });
        return parse(new Request(original.url, { method: 'POST', headers: original.headers, body }));
      });
    },
  };
  return { plugin, principalOf: (request) => principals.get(request) };
}
