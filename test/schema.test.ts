import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { SCHEMA_FILE } from '../src/cli/schemaArtifact.ts';
import { printSortedSchema } from '../src/graphql/schema.ts';

describe('schema artifact', () => {
  it('schema/schema.graphql is the sorted print of the Pothos schema (run `npm run schema:print`)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(printSortedSchema());
  });
});
