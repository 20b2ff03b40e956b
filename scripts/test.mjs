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
const vitest = path.join(import.meta.dirname, '..', 'node_modules', 'vitest', 'vitest.mjs');
const args = process.argv.slice(2);

/** One Vitest run; returns its counts from the JSON report. */
function run(name, extraArgs, extraEnv) {
  const report = path.join(dir, `${name}.json`);
  const result = spawnSync(
    process.execPath,
    [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extraArgs],
    { stdio: 'inherit', env: { ...env, ...extraEnv } },
  );
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    const failed =
      json.numFailedTests +
      (json.numTotalTestSuites > 0 && json.success === false && json.numFailedTests === 0 ? 1 : 0);
    return { passed: json.numPassedTests, failed, ok: result.status === 0 };
  } catch {
    return { passed: 0, failed: 1, ok: false }; // no report: the run itself failed
  }
}

// Every distinct SQL statement the suite sends is recorded (test processes and
// the server processes they start), then a second pass checks that each one
// touching a tenant table is scoped to one project. A run of chosen files
// (arguments given) skips that pass: it would see only part of the statements.
const statementLog = env.SQL_STATEMENT_LOG || path.join(dir, 'statements');
const suite = run('suite', args, { SQL_STATEMENT_LOG: statementLog });
const afterSuite =
  args.length === 0 && env.TEST_DATABASE_URL
    ? run('after-suite', ['--project', 'postgres'], {
        SQL_STATEMENT_LOG: statementLog,
        GROUPGRAPH_TEST_PASS: 'after-suite',
      })
    : { passed: 0, failed: 0, ok: true };

rmSync(dir, { recursive: true, force: true });
const passed = suite.passed + afterSuite.passed;
const failed = suite.failed + afterSuite.failed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(suite.ok && afterSuite.ok && failed === 0 && passed > 0 ? 0 : 1);
