import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { printSortedSchema } from '../graphql/schema.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('../../schema/schema.graphql', import.meta.url));

export async function writeSchema(): Promise<void> {
  await writeFile(SCHEMA_FILE, printSortedSchema());
  console.log('Wrote schema/schema.graphql');
}

export async function checkSchema(): Promise<void> {
  const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
  if (committed !== printSortedSchema()) {
    console.error('schema/schema.graphql is stale: run `npm run schema:print` and commit it.');
    process.exitCode = 1;
    return;
  }
  console.log('schema/schema.graphql is up to date.');
}
