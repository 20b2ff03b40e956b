import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { AppError } from '../services/errors.ts';
import { ERROR_STATUS, toGraphQLError } from './errors.ts';

export interface HardeningOptions {
  introspection: boolean;
  maxBodyBytes: number;
  production: boolean;
}

/**
 * Limits tuned so real Relay queries pass (group → members → node → groups →
 * stats → topEvents is depth 9) while hostile documents are refused before
 * they execute.
 */
export const QUERY_LIMITS = {
  maxDepth: 15,
  maxAliases: 30,
  maxTokens: 5000,
  maxDirectives: 20,
  maxCost: 50000,
} as const;

/**
 * 413 for a body whose declared length is over the limit, before anything
 * else (Node never delivers more than it declares). A body streamed without a
 * length is bounded while it is read, after authentication (authenticateFirst.ts).
 */
function bodyLimit(maxBytes: number): Plugin {
  const tooLarge = () =>
    Response.json(
      { errors: [{ message: `Request body over ${maxBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] },
      { status: ERROR_STATUS.PAYLOAD_TOO_LARGE.status },
    );
  return {
    onRequest({ request, endResponse }) {
      const declared = request.headers.get('content-length');
      if (declared !== null && Number(declared) > maxBytes) endResponse(tooLarge());
    },
  };
}

function noIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * graphql-armor words every rejection as "Syntax Error: …" and codes none of
 * them. Its onReject hook receives the rejection first; throwing there puts
 * our own error in its place: QUERY_LIMIT_EXCEEDED (HTTP 400), a message that
 * names the limit and its value, and `extensions` { limit, max, found? }.
 */
function rejectAs(limit: keyof typeof QUERY_LIMITS, describe: (max: number, found: string) => string) {
  const max = QUERY_LIMITS[limit];
  return {
    propagateOnRejection: true,
    onReject: [
      (_context: unknown, armorError: Error) => {
        // armor's message ends with ", found N." where it counts (not for tokens).
        const found = armorError.message.match(/found (\d+)/)?.[1];
        const details: Record<string, unknown> = { limit, max };
        if (found !== undefined) details.found = Number(found);
        throw toGraphQLError(new AppError('QUERY_LIMIT_EXCEEDED', describe(max, found ?? 'more'), details));
      },
    ],
  };
}

export function hardeningPlugins(options: HardeningOptions): Plugin[] {
  const armor = EnvelopArmorPlugin({
    maxDepth: {
      n: QUERY_LIMITS.maxDepth,
      ignoreIntrospection: true,
      flattenFragments: true,
      ...rejectAs(
        'maxDepth',
        (max, found) => `Query depth limit exceeded: the query nests ${found} levels, at most ${max} are allowed`,
      ),
    },
    maxAliases: {
      n: QUERY_LIMITS.maxAliases,
      ...rejectAs(
        'maxAliases',
        (max, found) => `Alias limit exceeded: the query has ${found} aliases, at most ${max} are allowed`,
      ),
    },
    maxTokens: {
      n: QUERY_LIMITS.maxTokens,
      ...rejectAs('maxTokens', (max) => `Token limit exceeded: the document has more than ${max} tokens`),
    },
    maxDirectives: {
      n: QUERY_LIMITS.maxDirectives,
      ...rejectAs(
        'maxDirectives',
        (max, found) => `Directive limit exceeded: the query has ${found} directives, at most ${max} are allowed`,
      ),
    },
    costLimit: {
      maxCost: QUERY_LIMITS.maxCost,
      ignoreIntrospection: true,
      ...rejectAs(
        'maxCost',
        (max, found) => `Query cost limit exceeded: the query costs ${found}, at most ${max} is allowed`,
      ),
    },
    blockFieldSuggestion: { enabled: options.production },
  }) as Plugin;
  return [
    bodyLimit(options.maxBodyBytes),
    // Browsers must preflight: a request without a custom header cannot be a
    // cross-site form or image tag riding on ambient credentials.
    useCSRFPrevention({ requestHeaders: ['openpanel-client-id', 'authorization', 'x-graphql-yoga-csrf'] }),
    armor,
    ...(options.introspection ? [] : [noIntrospection()]),
  ];
}
