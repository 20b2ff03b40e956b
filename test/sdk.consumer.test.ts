import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildSdk } from '../scripts/build-sdk.mjs';
import { useTestApp } from './helpers/app.ts';
import { runNode } from './helpers/process.ts';

// groupgraph/client as another project gets it: the package as built at install
// (dist/sdk and package.json's exports), in node_modules/groupgraph of a fresh
// consumer folder, with only its declared dependencies next to it. No tsx, no
// TypeScript loader: plain Node, a stock tsconfig, a browser bundler.
const t = useTestApp({ transport: 'http' });

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const rootRequire = createRequire(import.meta.url);
const TSC = path.join(path.dirname(rootRequire.resolve('typescript/package.json')), 'bin', 'tsc');
const consumer = mkdtempSync(path.join(tmpdir(), 'groupgraph-consumer-'));
const packageDir = path.join(consumer, 'node_modules', 'groupgraph');

beforeAll(async () => {
  mkdirSync(packageDir, { recursive: true });
  const built = await buildSdk({ root: ROOT, outDir: path.join(packageDir, 'dist', 'sdk') });
  expect(built).toEqual({ built: true });
  copyFileSync(path.join(ROOT, 'package.json'), path.join(packageDir, 'package.json'));
  // What npm would put next to it: the SDK's declared runtime dependencies that its types use.
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(manifest.dependencies).toHaveProperty('@graphql-typed-document-node/core');
  mkdirSync(path.join(consumer, 'node_modules', '@graphql-typed-document-node'), { recursive: true });
  symlinkSync(
    path.join(ROOT, 'node_modules', '@graphql-typed-document-node', 'core'),
    path.join(consumer, 'node_modules', '@graphql-typed-document-node', 'core'),
  );
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
}, 120_000);
afterAll(() => rmSync(consumer, { recursive: true, force: true }));

const LOGIN_FLOW_MJS = `
import { GroupGraph, GroupGraphClient, GroupTypesDocument } from 'groupgraph/client';

const { URL, WRITE_ID, WRITE_SECRET, READ_ID, READ_SECRET } = process.env;
const op = new GroupGraph({ url: URL, clientId: WRITE_ID, clientSecret: WRITE_SECRET });
op.identify({ profileId: 'user_123', firstName: 'Jane', email: 'jane@acme.com' });
op.upsertGroup({ id: 'org_acme', type: 'company', name: 'Acme Inc', properties: { plan: 'pro' } });
op.setGroup('org_acme');
op.track('dashboard_viewed');
op.track('report_exported', { format: 'pdf' });
await op.flush();

const reader = new GroupGraphClient({ url: URL, clientId: READ_ID, clientSecret: READ_SECRET });
const { groupTypes } = await reader.request(GroupTypesDocument);
console.log(JSON.stringify({ groupTypes }));
`;

describe('groupgraph/client from a consumer project', () => {
  it('package.json points groupgraph/client at built JavaScript and declarations, not TypeScript sources', () => {
    const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
    const targets = JSON.stringify(manifest.exports['./client']);
    expect(manifest.exports['./client'].import).toEqual({
      types: './dist/sdk/index.d.ts',
      default: './dist/sdk/index.js',
    });
    // Only the repository's own opt-in condition may name the sources.
    const { 'groupgraph-source': _source, ...published } = manifest.exports['./client'];
    expect(JSON.stringify(published)).not.toMatch(/(?<!\.d)\.ts"/);
    expect(targets).toContain('./dist/sdk/cjs/index.js');
  });

  it('a plain .mjs file runs the login flow against a real server with plain node', async () => {
    const writer = await t.createKey('write');
    const reader = await t.createKey('read', writer.projectId);
    const script = path.join(consumer, 'login.mjs');
    writeFileSync(script, LOGIN_FLOW_MJS);
    const result = await runNode(
      [script],
      {
        URL: t.url,
        WRITE_ID: writer.clientId,
        WRITE_SECRET: writer.clientSecret,
        READ_ID: reader.clientId,
        READ_SECRET: reader.clientSecret,
        NODE_OPTIONS: '',
      },
      consumer,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ groupTypes: [{ type: 'company', groupCount: 1 }] });

    const events = await t.db.prisma.event.findMany({
      where: { projectId: writer.projectId },
      orderBy: { name: 'asc' },
    });
    expect(events.map((e) => [e.name, e.profileId, e.groupIds])).toEqual([
      ['assign_group', 'user_123', ['org_acme']],
      ['dashboard_viewed', 'user_123', ['org_acme']],
      ['report_exported', 'user_123', ['org_acme']],
    ]);
  });

  it('CommonJS require() gets the same SDK', async () => {
    const script = path.join(consumer, 'require.cjs');
    writeFileSync(
      script,
      `const sdk = require('groupgraph/client');
       console.log(JSON.stringify([typeof sdk.GroupGraph, typeof sdk.GroupGraphClient, String(sdk.GroupTypesDocument).trim().split(' ')[0]]));`,
    );
    const result = await runNode([script], { NODE_OPTIONS: '' }, consumer);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(['function', 'function', 'query']);
  });

  it('a stock tsconfig (module nodenext, strict) type-checks the typed documents without extra flags', () => {
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, noEmit: true }, include: ['src'] }),
    );
    mkdirSync(path.join(consumer, 'src'), { recursive: true });
    const typed = (importLine: string) =>
      [
        importLine,
        `export async function report(client: GroupGraphClient): Promise<number> {`,
        `  const { group } = await client.request(GroupOverviewDocument, { id: 'org_acme' });`,
        `  const overview: GroupOverviewQuery['group'] = group;`,
        `  const count: number = group?.memberCount ?? 0;`,
        `  // @ts-expect-error: not selected by the GroupOverview operation`,
        `  void group?.createdAt;`,
        `  // @ts-expect-error: variables of GroupOverview need \`id\``,
        `  void client.request(GroupOverviewDocument, {});`,
        `  const op = new GroupGraph({ url: 'http://localhost:4000', clientId: 'c' });`,
        `  // @ts-expect-error: the field is \`type\`, not \`typ\``,
        `  op.upsertGroup({ id: 'org_acme', typ: 'company' });`,
        `  void overview;`,
        `  return count;`,
        `}`,
        '',
      ].join('\n');
    const names = 'GroupGraph, GroupGraphClient, GroupOverviewDocument, type GroupOverviewQuery';
    writeFileSync(path.join(consumer, 'src', 'esm.mts'), typed(`import { ${names} } from 'groupgraph/client';`));
    writeFileSync(path.join(consumer, 'src', 'cjs.cts'), typed(`import { ${names} } from 'groupgraph/client';`));
    const result = spawnSync(process.execPath, [TSC, '-p', path.join(consumer, 'tsconfig.json')], {
      cwd: consumer,
      encoding: 'utf8',
    });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);

    // The same check fails on a real mistake (so the pass above means something).
    writeFileSync(
      path.join(consumer, 'src', 'bad.mts'),
      `import { GroupGraphClient, GroupOverviewDocument } from 'groupgraph/client';\n` +
        `export const n = (c: GroupGraphClient) => c.request(GroupOverviewDocument, { id: 1 });\n`,
    );
    const bad = spawnSync(process.execPath, [TSC, '-p', path.join(consumer, 'tsconfig.json')], {
      cwd: consumer,
      encoding: 'utf8',
    });
    rmSync(path.join(consumer, 'src', 'bad.mts'));
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain('bad.mts');
    expect(bad.stdout).not.toContain('esm.mts');
  });

  it('bundles for browsers with esbuild: no Node built-ins, size within budget', async () => {
    const entry = path.join(consumer, 'browser.mjs');
    writeFileSync(
      entry,
      `import { GroupGraph } from 'groupgraph/client';\n` +
        `const op = new GroupGraph({ url: location.origin, clientId: 'c' });\nop.track('page_viewed');\n`,
    );
    const result = await build({
      entryPoints: [entry],
      absWorkingDir: consumer,
      bundle: true,
      minify: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('node_modules/groupgraph/dist/sdk/index.js');
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const imported = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((imp) => imp.path));
    expect(imported.filter((p) => builtins.has(p))).toEqual([]);
    const code = result.outputFiles[0]!.contents;
    // README states the size (19.0 KB minified, 5.3 KB gzipped); a budget with some room.
    expect(code.byteLength).toBeLessThan(22_000);
    expect(gzipSync(code).byteLength).toBeLessThan(6_500);
  });
});
