import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The benchmarks share the vitest-free helpers of test/helpers (scratch
// databases, server processes, GraphQL over HTTP) but run outside a test run,
// where vitest cannot load. This fails when a benchmark reaches vitest, directly
// or through a helper.
describe('benchmarks', () => {
  it('load no vitest, directly or through a helper', async () => {
    const bench = fileURLToPath(new URL('../bench/', import.meta.url));
    const entryPoints = readdirSync(bench)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join(bench, file));
    expect(entryPoints.length).toBeGreaterThanOrEqual(3);
    const { metafile } = await build({
      entryPoints,
      bundle: true,
      write: false,
      metafile: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir: path.join(bench, 'out'),
      logLevel: 'silent',
    });
    const loadingVitest = Object.entries(metafile.inputs)
      .filter(([, input]) => input.imports.some((i) => i.path === 'vitest' || i.path.startsWith('vitest/')))
      .map(([file]) => file);
    expect(Object.keys(metafile.inputs)).toContain('test/helpers/db.ts');
    expect(loadingVitest).toEqual([]);
  });
});
