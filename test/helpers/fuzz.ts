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

// Input classes from the hostile-input review: values that once reached the
// database and came back as INTERNAL_SERVER_ERROR, and aliases of analysis
// fields that made one request compute millions of points.

const graphql = (query: string, variables: Record<string, unknown> = {}): FuzzCase => ({
  path: '/graphql',
  contentType: 'application/json',
  body: JSON.stringify({ query, variables }),
});

const deepValue = fc.integer({ min: 5, max: 60 }).map((depth) => {
  let nested: unknown = 'x';
  for (let i = 0; i < depth; i++) nested = [nested];
  return nested;
});

/** Filter values PostgreSQL's jsonb and text cannot take, or deeper than any stored property. */
const hostileFilterValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfff', { 'k\u0000': 1 }, ['\u0000'], ['ok', '\udc00'], {
    k: { '\ud800': 1 },
  }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  deepValue,
  hostileValue,
);

const FILTER_OPS = ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE', 'CONTAINS', 'IN', 'EXISTS'];

const filterValueCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    op: fc.constantFrom(...FILTER_OPS),
    value: hostileFilterValue,
    key: fc.oneof(fc.constantFrom('plan', 'k\u0000', '\ud800'), fc.string({ maxLength: 6 })),
    where: fc.constantFrom('properties', 'groupProperties'),
    field: fc.constantFrom('events', 'eventAggregation', 'groups', 'funnel', 'cohort'),
  })
  .map(({ op, value, key, where, field }) => {
    const filter = [{ key, op, value }];
    switch (field) {
      case 'events':
        return graphql('query($f: EventFilter) { events(filter: $f) { edges { cursor } } }', {
          f: { [where]: filter },
        });
      case 'eventAggregation':
        return graphql(
          'query($f: EventFilter) { eventAggregation(input: { metric: EVENTS, breakdown: GROUP, filter: $f }) { total } }',
          { f: { [where]: filter } },
        );
      case 'groups':
        return graphql('query($f: [PropertyFilter!]) { groups(filter: { properties: $f }) { edges { cursor } } }', {
          f: filter,
        });
      case 'funnel':
        return graphql(
          'query($p: [PropertyFilter!]) { funnel(input: { from: "2026-01-01", to: "2026-02-01", steps: [{ name: "a", properties: $p }, { name: "b" }] }) { steps { count } } }',
          { p: filter },
        );
      default:
        return graphql(
          'mutation($p: PropertyFilter!) { createCohort(input: { name: "c", unit: PROFILE, rules: [{ property: $p }] }) { id } }',
          { p: filter[0] },
        );
    }
  });

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const oddTime = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '-271821-04-20T00:00:00Z',
    '+275760-09-13T00:00:00.000Z',
    '1899-12-31',
    '9999-12-31T23:59:59Z',
  ),
  fc.integer({ min: 0, max: 9999 }).map((year) => `${String(year).padStart(4, '0')}-06-15T12:00:00Z`),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

/** Cursors of every shape: forged JSON with wrong inner types, odd times, NUL, huge numbers, garbage. */
const forgedCursor: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(b64('GPC:T:["I:1","S:x"]'), 'I:99999999999999999999999', 'D:2026-01-01', b64('[null,null]'), ''),
  fc
    .array(
      fc.oneof(
        oddTime,
        fc.constantFrom('CREATED_AT', 'MEMBER_COUNT', 'LAST_ACTIVE_AT', 'NAME', 'DESC', 'ASC', 'x\u0000', '\ud800'),
        fc.constantFrom('99999999999999999999', '9999999999999999999', '-1', 'abc', '1.5'),
        fc.integer(),
        fc.constantFrom(0, 1, 1e400, -1, null),
      ),
      { maxLength: 5 },
    )
    .map((parts) => b64(JSON.stringify(parts))),
  fc.string({ maxLength: 30 }),
);

const cursorCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    after: forgedCursor,
    field: fc.constantFrom(
      'events(after: $c) { edges { cursor } }',
      'cohorts(after: $c) { edges { cursor } }',
      'groups(after: $c) { edges { cursor } }',
      'groups(after: $c, orderBy: { field: MEMBER_COUNT, direction: DESC }) { edges { cursor } }',
      'groups(after: $c, orderBy: { field: LAST_ACTIVE_AT, direction: ASC }) { edges { cursor } }',
      'groups(before: $c, orderBy: { field: NAME, direction: ASC }) { edges { cursor } }',
      'group(id: "g") { events(after: $c) { edges { cursor } } propertyHistory(after: $c) { edges { cursor } } members(after: $c) { edges { cursor } } }',
      'profile(id: "p") { events(after: $c) { edges { cursor } } }',
      'profiles(after: $c) { edges { cursor } }',
    ),
  })
  .map(({ after, field }) => graphql(`query($c: String) { ${field} }`, { c: after }));

const timeValue: fc.Arbitrary<unknown> = fc.oneof(oddTime, fc.constantFrom(-8.64e15, 8.64e15, 0, '', 'now'));

const timestampCase: fc.Arbitrary<FuzzCase> = fc
  .record({ at: timeValue, other: timeValue, kind: fc.integer({ min: 0, max: 6 }) })
  .map(({ at, other, kind }) => {
    switch (kind) {
      case 0:
        return graphql('mutation($e: [TrackInput!]!) { trackBatch(events: $e) { accepted rejected { index code } } }', {
          e: [{ name: 'ok' }, { name: 'x', timestamp: at }, { name: 'y', timestamp: other }],
        });
      case 1:
        return {
          path: '/track' as const,
          contentType: 'application/json',
          body: JSON.stringify({ type: 'track', payload: { name: 'x', properties: { __timestamp: at } } }),
        };
      case 2:
        return graphql(
          'query($a: DateTime, $b: DateTime) { eventAggregation(input: { metric: EVENTS, interval: MONTH, from: $a, to: $b }) { total } }',
          { a: at, b: other },
        );
      case 3:
        return graphql(
          'query($a: DateTime, $b: DateTime) { group(id: "g") { stats(from: $a, to: $b) { eventCount } activity(from: $a, to: $b, interval: MONTH) { events } memberGrowth(to: $b) { members } } }',
          { a: at, b: other },
        );
      case 4:
        return graphql(
          'query($a: DateTime!, $b: DateTime!) { retention(input: { from: $a, to: $b, interval: MONTH }) { __typename } lifecycle(input: { from: $a, to: $b, interval: MONTH }) { __typename } }',
          { a: at, b: other },
        );
      case 5:
        return graphql(
          'query($a: DateTime) { events(filter: { from: $a }) { edges { cursor } } groups(filter: { createdAfter: $a }) { edges { cursor } } }',
          {
            a: at,
          },
        );
      default:
        return graphql(
          'mutation($a: DateTime) { setGroups(input: { profileId: "p", groupIds: ["g"], since: $a }) { id } }',
          {
            a: at,
          },
        );
    }
  });

/** Many aliases of analysis fields, each as costly as its arguments allow. */
const aliasesCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    count: fc.integer({ min: 1, max: 30 }),
    interval: fc.constantFrom('HOUR', 'DAY', 'WEEK', 'MONTH', null),
    days: fc.integer({ min: 1, max: 130 }),
    limit: fc.integer({ min: 1, max: 100 }),
    breakdown: fc.constantFrom('GROUP', 'EVENT_NAME', 'PROFILE', null),
    kind: fc.constantFrom('eventAggregation', 'activity', 'retention'),
  })
  .map(({ count, interval, days, limit, breakdown, kind }) => {
    const to = new Date('2026-11-02T00:00:00Z');
    const from = new Date(to.getTime() - days * 24 * 3600 * 1000).toISOString();
    const field = (i: number) =>
      kind === 'eventAggregation'
        ? `a${i}: eventAggregation(input: { metric: EVENTS, from: "${from}", to: "${to.toISOString()}", limit: ${limit}${interval ? `, interval: ${interval}` : ''}${breakdown ? `, breakdown: ${breakdown}` : ''} }) { total series { points { value } } }`
        : kind === 'activity'
          ? `a${i}: groups(first: ${limit}) { edges { node { activity(from: "${from}", interval: ${interval ?? 'DAY'}) { events } } } }`
          : `a${i}: retention(input: { from: "${from}", to: "${to.toISOString()}", interval: DAY, periods: 52 }) { __typename }`;
    return graphql(`{ ${Array.from({ length: count }, (_, i) => field(i)).join(' ')} }`);
  });

/** The hostile-input classes alone (bench:fuzz weighs them in with the rest). */
export const hostileInputCases: fc.Arbitrary<FuzzCase> = fc.oneof(
  filterValueCase,
  cursorCase,
  timestampCase,
  aliasesCase,
);

export function fuzzCases(schema: GraphQLSchema): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { weight: 6, arbitrary: operation(schema) },
    { weight: 2, arbitrary: trackBody },
    { weight: 1, arbitrary: rawBody },
    { weight: 4, arbitrary: hostileInputCases },
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
