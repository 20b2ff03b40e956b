import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

// Which Node runs groupgraph: package.json's engines, what README says, the Node
// this suite runs on, and the dependencies that declare a newer Node than the
// oldest one we test (npm prints an EBADENGINE warning for each at install).

const ROOT = new URL('..', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8'));
const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8'));
const readme = readFileSync(new URL('README.md', ROOT), 'utf8');

/** The oldest Node we test on. */
const OLDEST_TESTED = [20, 19] as const;

/**
 * Whether a declared engines range admits Node major.minor. The ranges in the
 * lock file are simple (`>=a.b.c`, `^a.b`, `a || b`); a full semver parser is
 * not a dependency of ours, and this reads those few forms.
 */
function admits(range: string, [major, minor]: readonly [number, number]): boolean {
  return range.split('||').some((alternative) => {
    const bounds = [
      ...alternative.matchAll(/(>=|\^|~|>|<=|<|=)?\s*v?(\d+)(?:\.(\d+|x))?(?:\.(?:\d+|x))?(?:-[\w.]+)?/g),
    ];
    return bounds.every(([, op = '=', a, b]) => {
      const A = Number(a);
      const B = b === undefined || b === 'x' ? 0 : Number(b);
      switch (op) {
        case '>=':
          return major > A || (major === A && minor >= B);
        case '>':
          return major > A || (major === A && minor > B);
        case '<':
          return major < A || (major === A && minor < B);
        case '<=':
          return major < A || (major === A && minor <= B);
        case '^':
        case '~':
          return major === A && minor >= B;
        default:
          return major === A && (b === undefined || b === 'x' || minor === B);
      }
    });
  });
}

describe('Node version', () => {
  it('package.json engines, README and the Node running this suite agree', () => {
    expect(manifest.engines.node).toBe('>=20.19');
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    expect(admits(manifest.engines.node, [major, minor])).toBe(true);
    expect(readme).toContain('Node.js 22 is recommended; 20.19 or newer is tested');
  });

  it('the dependencies declaring a newer Node than 20.19 are the ones README names', () => {
    const newer = Object.entries(lock.packages as Record<string, { engines?: { node?: string } }>)
      .filter(([name, entry]) => name && entry.engines?.node && !admits(entry.engines.node, OLDEST_TESTED))
      .map(([name]) => name.slice(name.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(newer.length).toBeGreaterThan(0);
    // README names the families; a new one shows up here first.
    const named = ['@whatwg-node/', '@prisma/streams-local', 'listr2', 'sync-fetch'];
    for (const family of named) expect(readme, family).toContain(`\`${family.replace(/\/$/, '/*')}\``);
    expect(newer.filter((name) => !named.some((family) => name.startsWith(family)))).toEqual([]);
  });

  it('reads the range forms the lock file uses', () => {
    expect(admits('>=22.15.0', [20, 19])).toBe(false);
    expect(admits('>=20.19', [20, 19])).toBe(true);
    expect(admits('^20.19 || ^22.12 || >=24.0', [20, 19])).toBe(true);
    expect(admits('^20.19 || ^22.12 || >=24.0', [20, 18])).toBe(false);
    expect(admits('>=18', [20, 19])).toBe(true);
    expect(admits('>= 14.0.0 < 21', [20, 19])).toBe(true);
  });
});
