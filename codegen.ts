// graphql-codegen: types for the operations in schema/operations, checked against
// the committed schema (schema/schema.graphql). `npm run codegen` writes them into
// src/sdk/generated (gitignored, like the Prisma client); test/codegen.test.ts
// fails when that file is stale.
import type { CodegenConfig } from '@graphql-codegen/cli';

export const CODEGEN_OUTPUT = 'src/sdk/generated/operations.ts';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: 'schema/operations/*.graphql',
  silent: true,
  errorsOnly: true,
  generates: {
    [CODEGEN_OUTPUT]: {
      // typescript-operations (v6) emits the input types and enums the operations
      // use by itself, so the `typescript` plugin is not needed.
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        // Documents are plain strings (no `graphql` runtime in the browser bundle).
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: {
          ID: { input: 'string', output: 'string' },
          DateTime: { input: 'string | Date', output: 'string' },
          // Every JSON field the schema returns is a properties object; inputs also
          // take plain values (a filter's `value`).
          JSON: { input: 'unknown', output: 'Record<string, unknown>' },
        },
        avoidOptionals: false,
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
        immutableTypes: false,
        skipTypename: true,
        dedupeFragments: true,
      },
    },
  },
};

export default config;
