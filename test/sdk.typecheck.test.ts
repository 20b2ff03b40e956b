import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import { describe, expect, expectTypeOf, it } from 'vitest';

import {
  GroupGraph,
  GroupGraphClient,
  GroupOverviewDocument,
  GroupTypesDocument,
  type GroupOverviewQuery,
} from '../src/sdk/index.ts';

// The SDK's public surface is typed from the schema: these checks are compiled by
// tsc below (an unused @ts-expect-error is itself an error), never run.
export function compileTimeChecks(op: GroupGraph, client: GroupGraphClient): void {
  // @ts-expect-error: the field is `type`, not `typ`
  void op.upsertGroup({ id: 'org_acme', typ: 'company' });
  // @ts-expect-error: `id` is required
  void op.upsertGroup({ type: 'company', name: 'Acme' });
  // @ts-expect-error: identify needs profileId
  void op.identify({ email: 'jane@acme.com' });
  // @ts-expect-error: IdentifyInput has no `userId`
  void op.identify({ profileId: 'u', userId: 'u' });
  // @ts-expect-error: per-event groups are a list of ids
  void op.track('file_shared', { groups: 'org_acme' });
  // @ts-expect-error: setGroups takes a list
  void op.setGroups('org_acme');
  // @ts-expect-error: variables of GroupOverview need `id`
  void client.request(GroupOverviewDocument, {});
  // @ts-expect-error: `from` is a DateTime (string or Date), not a number
  void client.request(GroupOverviewDocument, { id: 'org', from: 1 });
  // GroupTypes has no variables: they may be left out.
  void client.request(GroupTypesDocument);

  void (async () => {
    const { group } = await client.request(GroupOverviewDocument, { id: 'org_acme' });
    expectTypeOf(group).toEqualTypeOf<GroupOverviewQuery['group']>();
    if (!group) return;
    expectTypeOf(group.memberCount).toEqualTypeOf<number>();
    expectTypeOf(group.name).toEqualTypeOf<string | null>();
    expectTypeOf(group.stats.topEvents[0]!.count).toEqualTypeOf<number>();
    // @ts-expect-error: not selected by the GroupOverview operation
    void group.createdAt;
  })();
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const typescriptPackage = createRequire(import.meta.url).resolve('typescript/package.json');
const TSC = path.join(path.dirname(typescriptPackage), 'bin', 'tsc');

/** tsc --noEmit over these files with the project's compiler options. */
function typecheck(files: string[]): { status: number | null; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'groupgraph-tsc-'));
  try {
    const tsconfig = path.join(dir, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: path.join(ROOT, 'tsconfig.json'),
        compilerOptions: { typeRoots: [path.join(ROOT, 'node_modules', '@types')] },
        files,
        include: [],
      }),
    );
    const result = spawnSync(process.execPath, [TSC, '--noEmit', '-p', tsconfig], { cwd: ROOT, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the SDK is typed end to end and browser-safe', () => {
  it('tsc --noEmit passes over the SDK, its generated operations, the examples and the SDK tests', () => {
    const files = [
      'src/sdk/index.ts',
      'src/sdk/generated/operations.ts',
      'examples/node-backend.ts',
      'examples/queries.ts',
      'test/sdk.typecheck.test.ts',
      'test/sdk.test.ts',
      'test/sdk.retry.test.ts',
      'test/sdk.examples.test.ts',
      'test/codegen.test.ts',
    ].map((f) => path.join(ROOT, f));
    const { status, output } = typecheck(files);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('a wrong argument or an unselected field fails tsc (so the check above can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'groupgraph-tsc-bad-'));
    try {
      const file = path.join(dir, 'bad.ts');
      const sdk = path.join(ROOT, 'src', 'sdk', 'index.ts');
      writeFileSync(
        file,
        [
          `import { GroupGraph, GroupGraphClient, GroupOverviewDocument } from ${JSON.stringify(sdk)};`,
          `const op = new GroupGraph({ url: 'http://localhost:4000', clientId: 'c' });`,
          `void op.upsertGroup({ id: 'org_acme', typ: 'company' });`,
          `const client = new GroupGraphClient({ url: 'http://localhost:4000', clientId: 'c' });`,
          `void client.request(GroupOverviewDocument, { id: 'org' }).then(({ group }) => group?.createdAt);`,
          '',
        ].join('\n'),
      );
      const { status, output } = typecheck([file]);
      expect(status).not.toBe(0);
      expect(output).toContain("'typ' does not exist in type 'UpsertGroupPayload'");
      expect(output).toContain("Property 'createdAt' does not exist");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('groupgraph/client bundles for the browser: fetch only, no Node built-ins, nothing outside src/sdk', async () => {
    const result = await build({
      entryPoints: [path.join(ROOT, 'src', 'sdk', 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((input) => input.startsWith('src/sdk/'))).toBe(true);
    expect(inputs).toContain('src/sdk/generated/operations.ts');
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bfrom\s*["']|\brequire\(|\bimport\(/); // nothing left to load
    expect(code).toContain('fetch(');
    expect(code.length).toBeLessThan(60_000);

    // Also by source: no import of a Node built-in anywhere in src/sdk.
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const sources = readdirSync(path.join(ROOT, 'src', 'sdk'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    for (const source of sources) {
      const text = readFileSync(path.join(ROOT, 'src', 'sdk', source), 'utf8');
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      expect(
        specifiers.filter((s) => builtins.has(s) || s.startsWith('node:')),
        source,
      ).toEqual([]);
      expect(text, source).not.toMatch(/\bprocess\.|\bBuffer\b|\brequire\(/);
    }
  });
});
