import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { ERROR_STATUS } from './errors.ts';

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

export function hardeningPlugins(options: HardeningOptions): Plugin[] {
  const armor = EnvelopArmorPlugin({
    maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, flattenFragments: true },
    maxAliases: { n: QUERY_LIMITS.maxAliases },
    maxTokens: { n: QUERY_LIMITS.maxTokens },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    costLimit: { maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true },
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
