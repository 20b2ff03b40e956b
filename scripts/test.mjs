// `npm test`: the whole Vitest suite on embedded PGlite and, when a PostgreSQL
// server is known (TEST_DATABASE_URL), on PostgreSQL too. Ends with the line
// "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const env = { ...process.env };
if (env.TEST_DATABASE_URL)
  console.log(`Testing on PGlite and on PostgreSQL (${env.TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//')}).`);
else
  console.log(
    'Testing on PGlite only; set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres to add PostgreSQL.',
  );

// Types first: a type error anywhere (SDK, examples, tests) fails the run.
const tsc = path.join(import.meta.dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
const typecheck = spawnSync(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (typecheck.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const dir = mkdtempSync(path.join(tmpdir(), 'groupgraph-test-'));
const report = path.join(dir, 'report.json');
const vitest = path.join(import.meta.dirname, '..', 'node_modules', 'vitest', 'vitest.mjs');
const result = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env },
);

let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed =
    json.numFailedTests + (json.numTotalTestSuites > 0 && json.success === false && json.numFailedTests === 0 ? 1 : 0);
} catch {
  failed = 1; // no report: the run itself failed
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(result.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
