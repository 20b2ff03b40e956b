import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { bundleIsCurrent } from '../bin/bundle.js';

describe('the CLI runs the bundle only while it is current', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'groupgraph-bundle-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const sources = path.join(root, 'src');
  const bundle = path.join(root, 'dist', 'main.js');
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

  it('not built: the sources run', () => {
    mkdirSync(path.join(sources, 'deep', 'er'), { recursive: true });
    writeFileSync(path.join(sources, 'a.ts'), '');
    writeFileSync(path.join(sources, 'deep', 'er', 'b.ts'), '');
    at(path.join(sources, 'a.ts'), 1_000);
    at(path.join(sources, 'deep', 'er', 'b.ts'), 1_000);
    expect(bundleIsCurrent(bundle, sources)).toBe(false);
  });

  it('built after every source: the bundle runs', () => {
    mkdirSync(path.dirname(bundle), { recursive: true });
    writeFileSync(bundle, '');
    at(bundle, 2_000);
    expect(bundleIsCurrent(bundle, sources)).toBe(true);
  });

  it('a source edited after the build, however deep: the sources run', () => {
    at(path.join(sources, 'deep', 'er', 'b.ts'), 3_000);
    expect(bundleIsCurrent(bundle, sources)).toBe(false);
    at(bundle, 4_000);
    expect(bundleIsCurrent(bundle, sources)).toBe(true);
  });
});
