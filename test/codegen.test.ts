import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generate } from '@graphql-codegen/cli';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';

import config, { CODEGEN_OUTPUT } from '../codegen.ts';

// The SDK's operation types are generated (gitignored) from the committed schema
// and schema/operations. This file fails when the generated file drifts from them
// or an operation no longer fits the schema.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OPERATIONS = path.join(ROOT, 'schema', 'operations');

describe('schema/operations and their generated types', () => {
  it('src/sdk/generated/operations.ts is what `npm run codegen` makes from the committed schema and operations', async () => {
    const fresh: { filename: string; content: string }[] = await generate({ ...config, cwd: ROOT }, false);
    expect(fresh.map((f) => path.relative(ROOT, path.resolve(ROOT, f.filename)))).toEqual([CODEGEN_OUTPUT]);
    const onDisk = readFileSync(path.join(ROOT, CODEGEN_OUTPUT), 'utf8');
    expect(onDisk === fresh[0]!.content, `${CODEGEN_OUTPUT} is stale: run \`npm run codegen\``).toBe(true);
  });

  it('every operation validates against schema/schema.graphql, and each is named once', () => {
    const schema = buildSchema(readFileSync(path.join(ROOT, 'schema', 'schema.graphql'), 'utf8'));
    const files = readdirSync(OPERATIONS).filter((f) => f.endsWith('.graphql'));
    expect(files.length).toBeGreaterThan(0);
    const names: string[] = [];
    for (const file of files) {
      const document = parse(readFileSync(path.join(OPERATIONS, file), 'utf8'));
      expect(validate(schema, document).map((e) => `${file}: ${e.message}`)).toEqual([]);
      for (const definition of document.definitions) {
        expect(definition.kind, file).toBe('OperationDefinition');
        if (definition.kind === 'OperationDefinition') names.push(definition.name?.value ?? '(anonymous)');
      }
    }
    expect(names).not.toContain('(anonymous)');
    expect(new Set(names).size).toBe(names.length);
    // The SDK's mutations, on the contract's fields.
    expect(names).toEqual(
      expect.arrayContaining(['Identify', 'UpsertGroup', 'SetGroups', 'RemoveGroups', 'TrackBatch']),
    );
  });

  it('an operation selecting a field the schema lacks fails codegen', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'groupgraph-codegen-'));
    try {
      writeFileSync(path.join(dir, 'bad.graphql'), 'query Bad($id: ID!) { group(id: $id) { id plan } }\n');
      const bad = generate({ ...config, cwd: ROOT, documents: path.join(dir, '*.graphql') }, false);
      await expect(bad).rejects.toThrow(/Cannot query field "plan" on type "Group"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
