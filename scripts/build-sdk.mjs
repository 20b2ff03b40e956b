// Builds the SDK (`groupgraph/client`, src/sdk) into plain JavaScript plus type
// declarations, so it runs from a .mjs file or a CommonJS require and
// type-checks under a stock `module: nodenext` tsconfig (no
// allowImportingTsExtensions):
//
//   dist/sdk/index.js         ESM, one file (esbuild), no dependencies left to load
//   dist/sdk/*.d.ts           declarations, one per source module (tsc)
//   dist/sdk/cjs/index.js     CommonJS, one file; cjs/package.json says "commonjs"
//   dist/sdk/cjs/*.d.ts       the same declarations, read as CommonJS ones there
//
// package.json `exports["./client"]` points at these. Runs at install from
// scripts/build.mjs. Needs the generated operations (src/sdk/generated, made by
// graphql-codegen) and tsc, both dev dependencies: an install without them has
// no SDK to build and says so.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { build } from 'esbuild';

const require = createRequire(import.meta.url);

/** The browsers and Node versions the SDK targets . */
const TARGET = 'es2022';

/**
 * tsc writes declarations with the import specifiers as written (`./client.ts`);
 * a consumer without allowImportingTsExtensions rejects those (TS5097), so they
 * become `./client.js`, which TypeScript resolves to the `.d.ts` next to it.
 * Only relative specifiers are touched.
 * @param {string} text
 */
export function rewriteRelativeTsSpecifiers(text) {
  return text.replace(/(\bfrom\s*|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]*?)\.ts\2/g, '$1$2$3.js$2');
}

/** @param {string} dir @returns {Promise<string[]>} the .d.ts files under dir, relative to it */
async function declarationFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.d.ts'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/**
 * @param {{ root: string, outDir?: string }} options root: the repository; outDir:
 *   where to write (default <root>/dist/sdk; tests build into a consumer folder)
 * @returns {Promise<{ built: boolean, reason?: string }>}
 */
export async function buildSdk({ root, outDir = path.join(root, 'dist', 'sdk') }) {
  const entry = path.join(root, 'src', 'sdk', 'index.ts');
  if (!existsSync(path.join(root, 'src', 'sdk', 'generated', 'operations.ts'))) {
    return { built: false, reason: 'src/sdk/generated is missing (graphql-codegen is a dev dependency)' };
  }
  let tsc;
  try {
    tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND') throw error;
    return { built: false, reason: 'typescript is not installed (a dev dependency)' };
  }

  await rm(outDir, { recursive: true, force: true });
  await mkdir(path.join(outDir, 'cjs'), { recursive: true });

  const common = {
    entryPoints: [entry],
    bundle: true,
    // Browsers and Node alike: no Node built-ins may be pulled in (the build fails if one is).
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: TARGET,
    logLevel: 'warning',
    legalComments: 'none',
  };
  await build({ ...common, format: 'esm', outfile: path.join(outDir, 'index.js') });
  await build({ ...common, format: 'cjs', outfile: path.join(outDir, 'cjs', 'index.js') });
  await writeFile(path.join(outDir, 'cjs', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);

  // Declarations: tsc over the SDK alone, into a scratch folder, then rewritten.
  const scratch = await mkdtemp(path.join(tmpdir(), 'groupgraph-sdk-dts-'));
  try {
    const tsconfig = path.join(scratch, 'tsconfig.json');
    await writeFile(
      tsconfig,
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          declaration: true,
          emitDeclarationOnly: true,
          allowImportingTsExtensions: true,
          skipLibCheck: true,
          types: [],
          rootDir: path.join(root, 'src', 'sdk'),
          outDir: path.join(scratch, 'out'),
          typeRoots: [path.join(root, 'node_modules', '@types')],
        },
        files: [entry],
      }),
    );
    const result = spawnSync(process.execPath, [tsc, '-p', tsconfig], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`tsc could not write the SDK's declarations:\n${result.stdout}${result.stderr}`);
    }
    for (const file of await declarationFiles(path.join(scratch, 'out'))) {
      const text = rewriteRelativeTsSpecifiers(await readFile(path.join(scratch, 'out', file), 'utf8'));
      for (const target of [path.join(outDir, file), path.join(outDir, 'cjs', file)]) {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, text);
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { built: true };
}
