// Bundles the dashboard (src/web, a Preact app) into dist/web: one minified
// script and one stylesheet with content hashes in their names, and
// manifest.json naming them. The server (src/http/dashboard.ts) serves them and
// writes the HTML page itself. Runs at install from scripts/build.mjs; the server
// also calls it, without writing, when src/web or src/sdk changed after the last
// build, so an edit is never shadowed by a stale bundle.
//
// esbuild rather than Vite: it is already a dependency that runs at install, the
// app is one entry point with no dev server or plugins to speak of, and Vite
// would add a second bundler (Rollup) to every install for the same output.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the dashboard's sources live; a change under either calls for a rebuild. */
export const DASHBOARD_SOURCES = ['src/web', 'src/sdk'];
export const DASHBOARD_OUTDIR = 'dist/web';
export const DASHBOARD_MANIFEST = 'manifest.json';

const GENERATED_OPERATIONS = 'src/sdk/generated/operations.ts';

/**
 * Without dev dependencies there is no graphql-codegen, so no generated
 * operations module. Its types matter only to tsc; at run time each
 * `<Name>Document` is the operation's text, which this makes from
 * schema/operations/*.graphql.
 * @param {string} root
 * @returns {import('esbuild').Plugin}
 */
function documentsFromOperations(root) {
  return {
    name: 'documents-from-schema-operations',
    setup(build) {
      build.onResolve({ filter: /\/generated\/operations\.ts$/ }, () => ({
        path: GENERATED_OPERATIONS,
        namespace: 'schema-operations',
      }));
      build.onLoad({ filter: /.*/, namespace: 'schema-operations' }, async () => {
        const { parse, print, stripIgnoredCharacters } = await import('graphql');
        const dir = path.join(root, 'schema/operations');
        const sources = await Promise.all(
          (await readdir(dir)).filter((f) => f.endsWith('.graphql')).map((f) => readFile(path.join(dir, f), 'utf8')),
        );
        // Operations only (test/codegen.test.ts keeps fragments out of schema/operations).
        const exports = parse(sources.join('\n'))
          .definitions.filter((d) => d.kind === 'OperationDefinition' && d.name)
          .map(
            (operation) =>
              `export const ${operation.name.value}Document = ${JSON.stringify(stripIgnoredCharacters(print(operation)))};`,
          );
        return { contents: exports.join('\n'), loader: 'js', resolveDir: root };
      });
    },
  };
}

/**
 * @param {{ root: string, write: boolean, documents?: 'generated' | 'operations' }} options the repository
 *   root; whether to write dist/web; where the operations' documents come from (default: the generated
 *   module when it exists, else schema/operations)
 * @returns {Promise<{ manifest: { script: string, stylesheet: string }, files: { path: string, contents: Uint8Array }[] }>}
 */
export async function buildDashboard({ root, write, documents }) {
  // Loaded here, not at the top: the server imports this module but needs esbuild only when it rebuilds.
  const { build } = await import('esbuild');
  const outdir = path.join(root, DASHBOARD_OUTDIR);
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: path.join(root, 'src/web/main.tsx') },
    outdir: path.join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    metafile: true,
    write: false,
    plugins:
      (documents ?? (existsSync(path.join(root, GENERATED_OPERATIONS)) ? 'generated' : 'operations')) === 'operations'
        ? [documentsFromOperations(root)]
        : [],
    logLevel: 'warning',
  });
  const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint);
  if (!entry || !entry[1].cssBundle) throw new Error('dashboard build: no script or stylesheet came out');
  const relative = (file) => path.relative(outdir, path.resolve(root, file)).split(path.sep).join('/');
  const manifest = { script: relative(entry[0]), stylesheet: relative(entry[1].cssBundle) };
  const files = result.outputFiles.map((file) => ({ path: relative(file.path), contents: file.contents }));

  if (write) {
    await rm(outdir, { recursive: true, force: true });
    for (const file of files) {
      await mkdir(path.dirname(path.join(outdir, file.path)), { recursive: true });
      await writeFile(path.join(outdir, file.path), file.contents);
    }
    // Last: its mtime is what tells the server the build is newer than the sources.
    await writeFile(path.join(outdir, DASHBOARD_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return { manifest, files };
}
