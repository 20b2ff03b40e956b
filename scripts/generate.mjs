// Generates the Prisma client and the Pothos Prisma types into src/generated,
// the SDK's operation types into src/sdk/generated, then bundles the server and
// the dashboard into dist/ (scripts/build.mjs; the dashboard imports those types).
// Runs after `npm install`; needs no network: `prisma generate` does not use the
// schema engine, but the CLI insists the variable names an existing file.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
const env = { ...process.env };
// generators (prisma-pothos-types) are looked up on PATH
env.PATH = `${new URL('../node_modules/.bin', import.meta.url).pathname}:${env.PATH ?? ''}`;
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';

const result = spawnSync(process.execPath, [prismaCli, 'generate', '--no-hints'], {
  stdio: 'inherit',
  env,
});
if (result.status !== 0) process.exit(result.status ?? 1);

// The SDK's operation types (src/sdk/generated) from schema/schema.graphql and
// schema/operations (`npm run codegen`). graphql-codegen is a dev dependency: an
// install without dev dependencies runs the server and has no SDK to generate
// (the dashboard's bundle then takes its documents from schema/operations).
let codegenPackage;
try {
  codegenPackage = require.resolve('@graphql-codegen/cli/package.json');
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND') throw error;
  console.log('graphql-codegen is not installed (no dev dependencies): skipping the SDK types.');
}
if (codegenPackage) {
  const codegenCli = path.join(path.dirname(codegenPackage), require(codegenPackage).bin['graphql-codegen']);
  const codegen = spawnSync(process.execPath, [codegenCli, '--config', 'codegen.ts'], {
    stdio: 'inherit',
    env,
    cwd: new URL('..', import.meta.url).pathname,
  });
  if (codegen.status !== 0) process.exit(codegen.status ?? 1);
}

await import('./build.mjs');
