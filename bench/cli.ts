// How long a `groupgraph` call takes from start to exit: --help, keys list and
// keys create, on the embedded database (a fresh DATA_DIR, migrated by a first
// call that is not counted) and on PostgreSQL when BENCH_DATABASE_URL is set.
// The baseline of the same run is `node -e 0` (starting Node itself), so the
// ratios hold on a loaded machine too.
//
//   nice npx tsx bench/cli.ts [--runs 5] [--cli path/to/bin/groupgraph.js]
//
// --cli compares another checkout's command (e.g. an older commit) on the same machine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { CLI, runNode } from '../test/helpers/process.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, cli: { type: 'string', default: CLI } },
});
const runs = Number(values.runs);
const cli = path.resolve(values.cli);

/** Wall-clock milliseconds from spawning `node <args>` to its exit. */
async function time(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const started = performance.now();
  const result = await runNode(args, env);
  const ms = performance.now() - started;
  if (result.code !== 0) throw new Error(`${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(
  label: string,
  args: () => string[],
  env: Record<string, string | undefined>,
  baselineMs: number,
) {
  const walls: number[] = [];
  try {
    for (let i = 0; i < runs; i++) walls.push(await time(args(), env));
  } catch (error) {
    // An older command may not know the call (keys create --help crashed once).
    console.log(`${label.padEnd(40)}  fails: ${String((error as Error).message).split('\n')[1] ?? ''}`);
    return;
  }
  const ms = median(walls);
  console.log(
    `${label.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms   ${(ms / baselineMs).toFixed(2).padStart(5)} × node -e 0`,
  );
}

async function main() {
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) walls.push(await time(['-e', '0'], {}));
  const baselineMs = median(walls);
  console.log(`cli: ${cli}; median of ${runs} runs`);
  console.log(`${'node -e 0 (baseline)'.padEnd(40)} ${baselineMs.toFixed(0).padStart(6)} ms`);

  await measure('groupgraph --help', () => [cli, '--help'], {}, baselineMs);
  await measure('groupgraph keys create --help', () => [cli, 'keys', 'create', '--help'], {}, baselineMs);

  const engines: [string, Record<string, string | undefined>][] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'groupgraph-bench-cli-'));
  engines.push(['pglite', { DATA_DIR: dataDir, DATABASE_URL: '' }]);
  if (process.env.BENCH_DATABASE_URL) engines.push(['postgres', { DATABASE_URL: process.env.BENCH_DATABASE_URL }]);
  try {
    for (const [engine, env] of engines) {
      // Migrations and the project, once, not counted. `--create-project` is not
      // known to an older command: the first call may use either spelling.
      const project = `bench-cli-${Date.now()}`;
      const create = (extra: string[]) => [cli, 'keys', 'create', '--project', project, '--mode', 'read', ...extra];
      await time(create(['--create-project']), env).catch(() => time(create([]), env));
      await measure(
        `groupgraph keys list (${engine})`,
        () => [cli, 'keys', 'list', '--project', project],
        env,
        baselineMs,
      );
      await measure(`groupgraph keys create (${engine})`, () => create([]), env, baselineMs);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
