import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { Lexer, NoSchemaIntrospectionCustomRule, Source, TokenKind } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { AppError } from '../services/errors.ts';
import { ERROR_STATUS, toGraphQLError } from './errors.ts';
import { queryCostLimit, type QueryCostLimits } from './queryCost.ts';

export interface HardeningOptions extends QueryCostLimits {
  introspection: boolean;
  maxBodyBytes: number;
  production: boolean;
  /** Deepest nesting of brackets and braces in a GraphQL document (MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  /** Largest response body (its JSON, estimated before it is written). */
  maxResponseBytes: number;
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

/**
 * graphql-js parses list and object literals recursively, so a document of
 * 3,000 nested brackets overflows the stack (an uncoded 500) before armor's
 * token limit is reached. This counts the nesting with graphql-js's own lexer
 * — iterative, and exact about strings, block strings and comments — and
 * refuses the document at the first bracket past the bound, like a JSON body.
 */
export function documentNestingDepth(text: string, max: number): number {
  const lexer = new Lexer(new Source(text));
  let depth = 0;
  let deepest = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.BRACKET_L || token.kind === TokenKind.PAREN_L) {
        deepest = Math.max(deepest, ++depth);
        if (depth > max) return depth;
      } else if (
        token.kind === TokenKind.BRACE_R ||
        token.kind === TokenKind.BRACKET_R ||
        token.kind === TokenKind.PAREN_R
      ) {
        depth--;
      }
    }
  } catch {
    // A syntax error: the parser reports it with its position.
  }
  return deepest;
}

function documentDepthLimit(max: number): Plugin {
  return {
    onParse({ params }) {
      const text = typeof params.source === 'string' ? params.source : params.source.body;
      if (documentNestingDepth(text, max) > max) {
        const error = toGraphQLError(
          new AppError('VALIDATION_FAILED', `The GraphQL document nests deeper than ${max} levels`, {
            limit: max,
          }),
        );
        error.extensions.http = { status: 400 };
        throw error;
      }
    },
  };
}

/**
 * JSON length of a result, counted without building the string, and only
 * until it passes `max` (so a huge result is not walked to its end). Strings
 * count their UTF-8 bytes and quotes, not escapes: an estimate, slightly low.
 */
export function jsonLengthUpTo(value: unknown, max: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= max) {
    const v = stack.pop();
    if (v === null || v === undefined) total += 4;
    else if (typeof v === 'string') total += Buffer.byteLength(v) + 2;
    else if (typeof v === 'number' || typeof v === 'boolean') total += String(v).length;
    else if (v instanceof Date) total += 26;
    else if (Array.isArray(v)) {
      total += 2 + v.length;
      for (const item of v) stack.push(item);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      total += 2;
      for (const [key, item] of entries) {
        total += Buffer.byteLength(key) + 4;
        stack.push(item);
      }
    }
  }
  return total;
}

/** A result whose JSON would pass `maxBytes` is replaced by a coded error (400). */
function responseSizeLimit(maxBytes: number): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          // Streams (subscriptions, @defer) are bounded per event elsewhere.
          if (Symbol.asyncIterator in result) return;
          const size = jsonLengthUpTo({ data: result.data, errors: result.errors }, maxBytes);
          if (size <= maxBytes) return;
          setResult({
            errors: [
              toGraphQLError(
                new AppError(
                  'QUERY_LIMIT_EXCEEDED',
                  `Response size limit exceeded: the answer is over ${maxBytes} bytes — select fewer fields or items, or page through them`,
                  { limit: 'maxResponseBytes', max: maxBytes },
                ),
              ),
            ],
          });
        },
      };
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
    documentDepthLimit(options.maxJsonDepth),
    armor,
    queryCostLimit({ maxQueryPoints: options.maxQueryPoints, maxAnalysisFields: options.maxAnalysisFields }),
    responseSizeLimit(options.maxResponseBytes),
    ...(options.introspection ? [] : [noIntrospection()]),
  ];
}
