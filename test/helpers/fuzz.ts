import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

/** One request the fuzzer sends. */
export interface FuzzCase {
  path: '/graphql' | '/track';
  contentType: string;
  body: string;
}

/** Values that break naive servers: huge, deep, odd unicode, wrong types. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 2 ** 31, 1e308),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '\u0000', '\uD800', '😀'.repeat(50), 'x'.repeat(70_000), '2026-13-45T99:99:99Z', '1e999'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
    fc.integer({ min: 5, max: 400 }).map((depth) => {
      let nested: unknown = 1;
      for (let i = 0; i < depth; i++) nested = { n: nested };
      return nested;
    }),
  ),
})).value;

/** A value shaped like the input type, with hostile leaves now and then. */
function inputValue(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 4) return hostileValue;
  if (isNonNullType(type)) return inputValue(type.ofType, depth);
  if (isListType(type)) return fc.array(inputValue(type.ofType, depth + 1), { maxLength: 5 });
  const named = getNamedType(type);
  let shaped: fc.Arbitrary<unknown>;
  if (isEnumType(named)) shaped = fc.constantFrom(...named.getValues().map((v) => v.name));
  else if (isInputObjectType(named)) {
    const fields = Object.values(named.getFields());
    shaped = fc.record(Object.fromEntries(fields.map((f) => [f.name, inputValue(f.type, depth + 1)])), {
      requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name),
    });
  } else if (isScalarType(named)) {
    shaped =
      named.name === 'Int'
        ? fc.integer({ min: -5, max: 200 })
        : named.name === 'Boolean'
          ? fc.boolean()
          : named.name === 'DateTime'
            ? fc
                .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
                .map((d) => d.toISOString())
            : named.name === 'JSON'
              ? fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })
              : fc.string({ maxLength: 12 });
  } else shaped = hostileValue;
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: hostileValue });
}

/** A selection set for the output type: scalars and a little nesting (connections included). */
function selection(type: GraphQLObjectType, depth: number): fc.Arbitrary<string> {
  const fields = Object.values(type.getFields()).filter((f) => f.args.every((a) => !isNonNullType(a.type)));
  const choices = fields.map((field) => {
    const named = getNamedType(field.type);
    if (isObjectType(named)) {
      return depth >= 3
        ? fc.constant('__typename')
        : selection(named, depth + 1).map((inner) => `${field.name} { ${inner} }`);
    }
    return fc.constant(field.name);
  });
  if (choices.length === 0) return fc.constant('__typename');
  return fc.array(fc.oneof(...choices), { minLength: 1, maxLength: 4 }).map((parts) => [...new Set(parts)].join(' '));
}

function typeString(type: GraphQLInputType): string {
  return String(type);
}

/** A root-field operation from the schema with random variables. */
function operation(schema: GraphQLSchema): fc.Arbitrary<FuzzCase> {
  const roots: ['query' | 'mutation', GraphQLField<unknown, unknown>][] = [
    ...Object.values(schema.getQueryType()!.getFields()).map(
      (f) => ['query', f] as ['query', GraphQLField<unknown, unknown>],
    ),
    ...Object.values(schema.getMutationType()!.getFields()).map(
      (f) => ['mutation', f] as ['mutation', GraphQLField<unknown, unknown>],
    ),
  ];
  return fc.constantFrom(...roots).chain(([kind, field]) => {
    const named = getNamedType(field.type);
    const select = isObjectType(named) ? selection(named, 0).map((s) => ` { ${s} }`) : fc.constant('');
    const args = fc.record(
      Object.fromEntries(field.args.map((a) => [a.name, fc.option(inputValue(a.type), { nil: undefined, freq: 5 })])),
    );
    return fc.tuple(select, args).map(([sel, values]) => {
      const used = field.args.filter((a) => values[a.name] !== undefined || isNonNullType(a.type));
      const decl = used.length ? `(${used.map((a) => `$${a.name}: ${typeString(a.type)}`).join(', ')})` : '';
      const call = used.length ? `(${used.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
      const variables = Object.fromEntries(used.map((a) => [a.name, values[a.name] ?? null]));
      return {
        path: '/graphql' as const,
        contentType: 'application/json',
        body: JSON.stringify({ query: `${kind} Fuzz${decl} { ${field.name}${call}${sel} }`, variables }),
      };
    });
  });
}

/** Garbage at the HTTP level: broken JSON, wrong shapes, odd content types. */
const rawBody: fc.Arbitrary<FuzzCase> = fc.record({
  path: fc.constantFrom('/graphql' as const, '/track' as const),
  contentType: fc.constantFrom(
    'application/json',
    'text/plain',
    'application/graphql',
    'application/x-www-form-urlencoded',
    '',
  ),
  body: fc.oneof(
    fc.string({ maxLength: 200 }),
    hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
    fc.record({ query: fc.string({ maxLength: 60 }), variables: hostileValue }).map((v) => JSON.stringify(v)),
  ),
});

const OPENPANEL_TYPES = ['track', 'identify', 'group', 'assign_group', 'increment', 'decrement', 'alias', 'unknown'];

/** OpenPanel-shaped /track bodies with random payloads. */
const trackBody: fc.Arbitrary<FuzzCase> = fc
  .record({
    type: fc.oneof(fc.constantFrom(...OPENPANEL_TYPES), hostileValue),
    payload: fc.oneof(
      fc.record(
        {
          name: fc.oneof(fc.string({ maxLength: 20 }), hostileValue),
          profileId: fc.oneof(fc.string({ maxLength: 20 }), hostileValue),
          id: fc.oneof(fc.string({ maxLength: 20 }), hostileValue),
          groups: fc.oneof(fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }), hostileValue),
          groupIds: fc.oneof(fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }), hostileValue),
          property: fc.oneof(fc.string({ maxLength: 10 }), hostileValue),
          value: hostileValue,
          properties: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), hostileValue, { maxKeys: 4 }), hostileValue),
        },
        { requiredKeys: [] },
      ),
      hostileValue,
    ),
  })
  .map((body) => ({ path: '/track' as const, contentType: 'application/json', body: JSON.stringify(body) }));

export function fuzzCases(schema: GraphQLSchema): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { weight: 6, arbitrary: operation(schema) },
    { weight: 2, arbitrary: trackBody },
    { weight: 1, arbitrary: rawBody },
  );
}

export interface FuzzVerdict {
  ok: boolean;
  status: number;
  reason?: string;
}

/**
 * The server's answer is acceptable when it is 2xx/4xx and every error it
 * reports carries a code other than INTERNAL_SERVER_ERROR.
 */
export async function judge(response: Response): Promise<FuzzVerdict> {
  const status = response.status;
  const text = await response.text();
  if (status >= 500) return { ok: false, status, reason: text.slice(0, 300) };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: true, status }; // non-JSON 4xx bodies (e.g. 404) are fine
  }
  const errors = (body as { errors?: { extensions?: { code?: string }; message?: string }[] })?.errors ?? [];
  for (const error of errors) {
    const code = error.extensions?.code;
    if (!code || code === 'INTERNAL_SERVER_ERROR') {
      return { ok: false, status, reason: `${code ?? 'no code'}: ${error.message}` };
    }
  }
  return { ok: true, status };
}
