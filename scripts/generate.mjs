// Generates the Prisma client and the Pothos Prisma types into src/generated.
// Runs after `npm install`; needs no network: `prisma generate` does not use the
// schema engine, but the CLI insists the variable names an existing file.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

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
process.exit(result.status ?? 1);
