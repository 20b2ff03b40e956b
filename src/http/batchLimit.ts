import { Kind, type DefinitionNode, type DocumentNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { ValidationError } from '../services/errors.ts';
import { toGraphQLError } from './errors.ts';

/**
 * Counts the events of every `trackBatch` in the operation (aliases add up)
 * before execution, i.e. before graphql-js coerces the variables: coercing a
 * few hundred thousand inputs takes seconds, and the per-field check in the
 * service would come only after that, and per alias. Over `maxEvents` the whole
 * request is refused with 400 VALIDATION_FAILED and `maxBatchSize`.
 */
export function batchLimit(maxEvents: number): Plugin {
  return {
    onExecute({ args }) {
      const operation = (args.document as DocumentNode).definitions.find(
        (d: DefinitionNode) =>
          d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
      );
      if (!operation || operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'mutation') return;
      const variables = (args.variableValues ?? {}) as Record<string, unknown>;
      const count = countEvents(operation.selectionSet, variables);
      if (count > maxEvents) {
        const error = toGraphQLError(
          new ValidationError(
            'events',
            `at most ${maxEvents} events per request (all trackBatch fields together), got ${count}`,
            {
              maxBatchSize: maxEvents,
            },
          ),
        );
        error.extensions.http = { status: 400 };
        throw error;
      }
    },
  };
}

function countEvents(selectionSet: SelectionSetNode, variables: Record<string, unknown>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) count += countEvents(selection.selectionSet, variables);
    if (selection.kind !== Kind.FIELD || selection.name.value !== 'trackBatch') continue;
    const events = selection.arguments?.find((a) => a.name.value === 'events')?.value;
    if (events) count += listLength(events, variables);
  }
  return count;
}

function listLength(value: ValueNode, variables: Record<string, unknown>): number {
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const raw = variables[value.name.value];
    return Array.isArray(raw) ? raw.length : 1;
  }
  return 1;
}
