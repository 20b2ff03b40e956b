import { schema } from '../../src/graphql/schema.ts';

/** Every root field of the schema as `Query.name` / `Mutation.name` / `Subscription.name`: tables keyed by these must cover them all. */
export function rootFields(): string[] {
  return [schema.getQueryType()!, schema.getMutationType()!, schema.getSubscriptionType()!].flatMap((type) =>
    Object.keys(type.getFields()).map((name) => `${type.name}.${name}`),
  );
}
