import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

// Our own DateTime and JSON rather than graphql-scalars' DateTimeResolver and
// JSONResolver (tried with graphql-scalars 2.0.0; test/scalars.test.ts holds
// what ours promise):
// - its DateTime takes RFC 3339 date-times only: a date alone ("2026-01-01",
//   midnight UTC, handy for day ranges) or "2026-01-01 12:00Z" would be refused;
// - its parse errors carry no code, so a bad literal would not be VALIDATION_FAILED;
// - its JSON turns an enum literal (`properties: { plan: PRO }`) into undefined,
//   silently dropping the value, where ours refuses it.

function invalid(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'VALIDATION_FAILED' } });
}

// ISO-8601 with a date, optional time and zone; anything Date.parse merely tolerates is refused.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function parseDate(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_8601.test(value)) {
    throw invalid(`DateTime must be an ISO-8601 string such as "2026-01-31T12:00:00Z", got ${JSON.stringify(value)}`);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalid(`DateTime "${value}" is not a valid date`);
  return date;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 date-time string, e.g. "2026-01-31T12:00:00.000Z".',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(String(value));
    return date.toISOString();
  },
  parseValue: parseDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw invalid('DateTime must be a string');
    return parseDate(ast.value);
  },
});

function literalToJson(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw invalid('JSON value is not valid');
  }
}

export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'A JSON value; where properties are expected, a JSON object.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => literalToJson(ast, variables),
});
