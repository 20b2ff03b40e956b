// How long a `groupgraph` call takes from start to exit: --help, keys list and
// keys create, on the embedded database (a fresh DATA_DIR, migrated by a first
// call that is not counted) and on PostgreSQL when BENCH_DATABASE_URL is set.
// The baseline of the same run is `node -e 0` (starting Node itself), so the
// ratios hold on a loaded machine too.
//
//   nice npx tsx bench/cli.ts [--runs 5] [--cli path/to/bin/groupgraph.js]
//
// --cli compares another checkout's command (e.g. an older commit) on the same machine.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { CLI, runNode } from '../test/helpers/process.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, cli: { type: 'string', default: CLI } },
});
const runs = Number(values.runs);
const cli = path.resolve(values.cli);

/**
 * Milliseconds from spawning `node <args>` to its exit: wall clock, and CPU
 * (user + system, from /usr/bin/time when there is one). On a shared, loaded
 * machine the wall clock mostly measures waiting for a core; CPU time is what the
 * command costs, and close to its wall time on an idle machine.
 */
async function time(args: string[], env: Record<string, string | undefined>): Promise<Timing> {
  const started = performance.now();
  const viaTime = existsSync('/usr/bin/time');
  const result = viaTime
    ? await runProgram('/usr/bin/time', ['-f', 'cpu_s=%U+%S', process.execPath, ...args], env)
    : await runNode(args, env);
  const wallMs = performance.now() - started;
  if (result.code !== 0) throw new Error(`${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  const cpu = result.stderr.match(/cpu_s=([\d.]+)\+([\d.]+)/);
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN };
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function runProgram(
  program: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(label: string, args: () => string[], env: Record<string, string | undefined>, baseline: Timing) {
  const timings: Timing[] = [];
  try {
    for (let i = 0; i < runs; i++) timings.push(await time(args(), env));
  } catch (error) {
    // An older command may not know the call (keys create --help crashed once).
    console.log(`${label.padEnd(40)}  fails: ${String((error as Error).message).split('\n')[1] ?? ''}`);
    return;
  }
  const wall = median(timings.map((t) => t.wallMs));
  const cpu = median(timings.map((t) => t.cpuMs));
  console.log(
    `${label.padEnd(40)} wall ${wall.toFixed(0).padStart(6)} ms ${(wall / baseline.wallMs).toFixed(1).padStart(5)} ×   cpu ${cpu.toFixed(0).padStart(6)} ms ${(cpu / baseline.cpuMs).toFixed(1).padStart(5)} ×`,
  );
}

async function main() {
  const startups: Timing[] = [];
  for (let i = 0; i < runs; i++) startups.push(await time(['-e', '0'], {}));
  const baseline = {
    wallMs: median(startups.map((t) => t.wallMs)),
    cpuMs: median(startups.map((t) => t.cpuMs)),
  };
  console.log(`cli: ${cli}; median of ${runs} runs; × = times \`node -e 0\` of this run`);
  console.log(
    `${'node -e 0 (baseline)'.padEnd(40)} wall ${baseline.wallMs.toFixed(0).padStart(6)} ms         cpu ${baseline.cpuMs.toFixed(0).padStart(6)} ms`,
  );

  await measure('groupgraph --help', () => [cli, '--help'], {}, baseline);
  await measure('groupgraph keys create --help', () => [cli, 'keys', 'create', '--help'], {}, baseline);

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
        baseline,
      );
      await measure(`groupgraph keys create (${engine})`, () => create([]), env, baseline);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
