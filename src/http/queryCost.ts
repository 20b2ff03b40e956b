import {
  getArgumentValues,
  getVariableValues,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type GraphQLObjectType,
  type GraphQLInterfaceType,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

import { DAY_MS, HOUR_MS, WEEK_MS } from '../time.ts';
import { AppError } from '../services/errors.ts';
import { toGraphQLError } from './errors.ts';

// What an operation will compute, estimated from its arguments before it runs.
//
// graphql-armor's costLimit (hardening.ts) weighs fields by their type and
// depth; it does not read arguments, so `eventAggregation` over one hour and
// the same field over 124 days hourly, 33 series, cost it the same. Here each
// analysis field costs the points it will produce — buckets in [from, to) at
// its interval times its series — with variables and defaults resolved, times
// how many times it runs (a field under `groups(first: 100)` runs per group).
// An operation over the limit is refused before any of it runs. We wrote this
// rather than configure a library: the cost libraries for envelop (armor's
// costLimit, graphql-query-complexity's estimators) take per-field constants or
// `multipliers` of list arguments, not a range of dates divided by an interval.

export interface QueryCostLimits {
  /** Estimated points (buckets × series, summed over the operation's analysis fields). */
  maxQueryPoints: number;
  /** Analysis fields one operation may run (each alias and each list item counts). */
  maxAnalysisFields: number;
}

export interface OperationCost {
  points: number;
  analysisFields: number;
}

type Args = Record<string, unknown>;

const DEFAULT_RANGE_MS = 30 * DAY_MS;
const INTERVAL_MS: Record<string, number> = { HOUR: HOUR_MS, DAY: DAY_MS, WEEK: WEEK_MS, MONTH: 28 * DAY_MS };
/** Connections page at most 100 items, 20 by default. */
const PAGE_MAX = 100;
const PAGE_DEFAULT = 20;
/** A list without paging arguments (a profile's groups, a funnel's steps): assumed this long. */
const PLAIN_LIST = 10;

const time = (value: unknown, fallback: number): number =>
  value instanceof Date && !Number.isNaN(value.getTime()) ? value.getTime() : fallback;

/** Buckets whose start lies in [from, to) (an upper estimate, as the services check it). */
function buckets(from: number, to: number, interval: unknown, extraDays = 0): number {
  const length = INTERVAL_MS[String(interval)];
  if (!length) return 1;
  return Math.max(1, Math.ceil((to - from + extraDays * DAY_MS) / length) + 1);
}

function range(input: Args, now: number, defaultFrom: (to: number) => number = (to) => to - DEFAULT_RANGE_MS) {
  const to = time(input.to, now);
  return { from: time(input.from, defaultFrom(to)), to };
}

const count = (value: unknown, fallback: number, max: number) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? Math.min(value, max) : fallback;

/** Points each analysis field computes, by `Type.field`; the input as coerced (defaults applied). */
const ANALYSIS_POINTS: Record<string, (args: Args, now: number) => number> = {
  'Query.eventAggregation': ({ input }, now) => {
    const i = (input ?? {}) as Args;
    const { from, to } = range(i, now);
    const rolling = count(i.rollingDays, 1, 365);
    const series = i.breakdown ? count(i.limit, 10, 100) + 1 : 1;
    return buckets(from, to, i.interval, rolling - 1) * series * (i.compareTo ? 2 : 1);
  },
  'Query.funnel': ({ input }) => {
    const i = (input ?? {}) as Args;
    const steps = Array.isArray(i.steps) ? i.steps.length : 2;
    return steps * (i.breakdown ? count(i.limit, 10, 100) + 1 : 1);
  },
  'Query.retention': ({ input }, now) => {
    const i = (input ?? {}) as Args;
    const { from, to } = range(i, now);
    return buckets(from, to, i.interval ?? 'WEEK') * (count(i.periods, 8, 52) + 1);
  },
  'Query.lifecycle': ({ input }, now) => {
    const i = (input ?? {}) as Args;
    const { from, to } = range(i, now);
    return buckets(from, to, i.interval ?? 'WEEK') * 4;
  },
  'Query.stickiness': ({ input }, now) => {
    const i = (input ?? {}) as Args;
    const { from, to } = range(i, now);
    return buckets(from, to, i.interval ?? 'DAY');
  },
  // Two series (events, unique profiles), three numbers for member growth.
  'Group.activity': (args, now) => {
    const { from, to } = range(args, now);
    return buckets(from, to, args.interval ?? 'DAY') * 2;
  },
  'Group.memberGrowth': (args, now) => {
    const { from, to } = range(args, now);
    return buckets(from, to, args.interval ?? 'DAY') * 3;
  },
  // Totals and the top events (batched over the groups of a request).
  'Group.stats': () => 12,
};

/** Analysis fields answered for every item of a request in one statement (a DataLoader). */
const BATCHED = new Set(['Group.stats']);

/** How many times a field's selection runs per time the field itself runs. */
function fanOut(field: GraphQLField<unknown, unknown>, args: Args): number {
  if (field.args.some((a) => a.name === 'first' || a.name === 'last')) {
    return count(args.first ?? args.last, PAGE_DEFAULT, PAGE_MAX);
  }
  // A connection's edges are as many as its first/last said (counted above).
  if (field.name === 'edges') return 1;
  return isListType(getNullableType(field.type)) ? PLAIN_LIST : 1;
}

/**
 * The cost of the operation `operationName` of `document` with these
 * variables. Variables that do not coerce cost nothing here: execution refuses
 * them with its own coded error.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName?: string | null,
  now = Date.now(),
): OperationCost {
  const cost: OperationCost = { points: 0, analysisFields: 0 };
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return cost;
  const root = schema.getRootType(operation.operation);
  if (!root) return cost;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
  if (coerced.errors) return cost;
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );

  const walk = (
    type: GraphQLObjectType | GraphQLInterfaceType,
    selectionSet: SelectionSetNode,
    times: number,
    seen: ReadonlySet<string>,
  ) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) field(type, selection, times, seen);
      else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
        if (!fragment) continue;
        if (selection.kind === Kind.FRAGMENT_SPREAD && seen.has(selection.name.value)) continue;
        const on = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : type;
        if (!on || !(isObjectType(on) || isInterfaceType(on))) continue;
        const next = selection.kind === Kind.FRAGMENT_SPREAD ? new Set([...seen, selection.name.value]) : seen;
        walk(on, fragment.selectionSet, times, next);
      }
    }
  };

  const field = (
    parent: GraphQLObjectType | GraphQLInterfaceType,
    node: FieldNode,
    times: number,
    seen: ReadonlySet<string>,
  ) => {
    const definition = parent.getFields()[node.name.value];
    if (!definition) return; // __typename and introspection
    let args: Args = {};
    try {
      args = getArgumentValues(definition, node, coerced.coerced);
    } catch {
      return; // execution refuses these arguments with a coded error
    }
    // An interface's field is costed like the object type's of the same name.
    const key = `${parent.name}.${definition.name}`;
    const points = ANALYSIS_POINTS[key];
    if (points) {
      // Group.stats of a whole page is one batched statement: it counts once.
      cost.analysisFields += BATCHED.has(key) ? 1 : times;
      cost.points += times * points(args, now);
    }
    const named = getNamedType(definition.type);
    if (node.selectionSet && (isObjectType(named) || isInterfaceType(named))) {
      walk(named, node.selectionSet, times * fanOut(definition, args), seen);
    }
  };

  walk(root, operation.selectionSet, 1, new Set());
  return cost;
}

/** Refuses an operation over either limit before it executes: 400 QUERY_LIMIT_EXCEEDED. */
export function queryCostLimit(limits: QueryCostLimits): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = operationCost(args.schema, args.document, args.variableValues, args.operationName);
      let error: AppError | null = null;
      if (cost.analysisFields > limits.maxAnalysisFields) {
        error = new AppError(
          'QUERY_LIMIT_EXCEEDED',
          `Analysis field limit exceeded: the operation runs ${cost.analysisFields} analysis fields (aliases and list items count), at most ${limits.maxAnalysisFields} are allowed`,
          { limit: 'maxAnalysisFields', max: limits.maxAnalysisFields, found: cost.analysisFields },
        );
      } else if (cost.points > limits.maxQueryPoints) {
        error = new AppError(
          'QUERY_LIMIT_EXCEEDED',
          `Query cost limit exceeded: the operation would compute about ${cost.points} points (buckets × series over its analysis fields), at most ${limits.maxQueryPoints} are allowed — ask for a shorter range, a coarser interval or fewer series`,
          { limit: 'maxQueryPoints', max: limits.maxQueryPoints, found: cost.points },
        );
      }
      if (error) setResultAndStopExecution({ errors: [toGraphQLError(error)] });
    },
  };
}
