import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { readBodyWithin } from './body.ts';
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
 * 413 for a body over the limit. A declared length is checked up front (Node
 * never delivers more than it); a body streamed without one is read here, up
 * to the limit, and handed on in full.
 */
function bodyLimit(maxBytes: number): Plugin {
  const tooLarge = () =>
    Response.json(
      { errors: [{ message: `Request body over ${maxBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] },
      { status: ERROR_STATUS.PAYLOAD_TOO_LARGE.status },
    );
  return {
    async onRequest({ request, setRequest, endResponse, fetchAPI }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (Number(declared) > maxBytes) endResponse(tooLarge());
        return;
      }
      if (!request.body) return;
      const body = await readBodyWithin(request, maxBytes);
      if (!body) return endResponse(tooLarge());
      setRequest(new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, body }));
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
