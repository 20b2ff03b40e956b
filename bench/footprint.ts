// What the embedded default costs: disk per event after `groupgraph seed --demo`
// and the server's memory while it answers the demo queries of README.
//
//   nice npx tsx bench/footprint.ts [--events 100000] [--cli path/to/bin/groupgraph.js]
//
// Steps, each through the real command: seed a fresh DATA_DIR (peak RSS of the
// seeding process from /usr/bin/time when present), measure the data directory
// (WAL apart), start `groupgraph serve` on it, run README's three demo queries
// five times with a read key, and sample the server's RSS (/proc, so Linux)
// throughout. --cli runs another checkout's command (e.g. before a change) on the
// same machine, which is the baseline to compare with.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import pg from 'pg';

import { postGraphQL } from '../test/helpers/http.ts';
import { CLI, runNode, type ServerProcess } from '../test/helpers/process.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    cli: { type: 'string', default: CLI },
    // PostgreSQL instead: an empty database to seed (its size is pg_database_size).
    'database-url': { type: 'string' },
  },
});
const events = Number(values.events);
const cli = path.resolve(values.cli);

/** Bytes on disk (allocated blocks) under dir. */
function diskBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const stat = lstatSync(path.join(entry.parentPath, entry.name));
    if (stat.isFile()) total += stat.blocks * 512;
  }
  return total;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1] ?? NaN);
}

async function databaseSize(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
    return Number(rows[0]!.size);
  } finally {
    await client.end();
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** The three demo queries (README, "Demo data"). */
function demoQueries(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Demo data'));
  const end = section.indexOf('\n### ', 5);
  return [...section.slice(0, end).matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** `groupgraph serve` of the chosen command (helpers' startServer runs this checkout's). */
function serve(env: Record<string, string>): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const onData = (data: Buffer) => {
      output += data;
      const match = output.match(/serving GraphiQL at (http:\/\/\S+)\/graphql/);
      if (match) {
        resolve({
          child,
          url: match[1]!,
          output: () => output,
          stop: (signal = 'SIGTERM') => (child.kill(signal), exited),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'groupgraph-footprint-'));
  const databaseUrl = values['database-url'];
  const env = { DATA_DIR: dataDir, DATABASE_URL: databaseUrl ?? '' };
  try {
    console.log(`cli: ${cli}; ${events.toLocaleString('en')} demo events on ${databaseUrl ? 'PostgreSQL' : 'PGlite'}`);
    const time = existsSync('/usr/bin/time');
    const seedArgs = [cli, 'seed', '--demo', '--events', String(events)];
    const started = performance.now();
    const seeded = time
      ? await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, ...seedArgs], {
            env: { ...process.env, ...env },
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr.on('data', (d) => (stderr += d));
          child.on('close', (code) => resolve({ code, stderr }));
        })
      : await runNode(seedArgs, env);
    if (seeded.code !== 0) throw new Error(`seed failed:\n${seeded.stderr}`);
    const seedSeconds = (performance.now() - started) / 1000;
    const seedRss = Number(seeded.stderr.match(/maxrss_kb=(\d+)/)?.[1] ?? NaN) * 1024;

    const pglite = path.join(dataDir, 'pglite');
    const total = databaseUrl ? await databaseSize(databaseUrl) : diskBytes(pglite);
    // On PostgreSQL the WAL is the server's, shared by every database: not counted.
    const wal = databaseUrl ? 0 : diskBytes(path.join(pglite, 'pg_wal'));
    console.log(`seed: ${seedSeconds.toFixed(0)} s, peak RSS ${mb(seedRss)}`);
    console.log(
      `disk after seeding: ${mb(total)} = ${(total / events).toFixed(0)} B/event (WAL ${mb(wal)}, the rest ${mb(total - wal)} = ${((total - wal) / events).toFixed(0)} B/event)`,
    );

    const server = await serve(env);
    try {
      const pid = server.child.pid!;
      const startedRss = statusKb(pid, 'VmRSS') * 1024;
      const created = await runNode([cli, 'keys', 'create', '--project', 'default', '--mode', 'read', '--json'], env);
      if (created.code !== 0) throw new Error(`keys create failed:\n${created.stderr}`);
      const key = JSON.parse(created.stdout) as { clientId: string; clientSecret: string };
      let peakRss = startedRss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, statusKb(pid, 'VmRSS') * 1024)), 50);
      const queries = demoQueries();
      if (queries.length !== 3) throw new Error(`expected README's three demo queries, found ${queries.length}`);
      const queryStarted = performance.now();
      for (let round = 0; round < 5; round++) {
        for (const query of queries) {
          const result = await postGraphQL(`${server.url}/graphql`, query, {}, key);
          if (result.errors) throw new Error(JSON.stringify(result.errors));
        }
      }
      clearInterval(sampler);
      const queryMs = (performance.now() - queryStarted) / 15;
      const hwm = statusKb(pid, 'VmHWM') * 1024;
      console.log(
        `serve: RSS ${mb(startedRss)} when listening, peak ${mb(Math.max(peakRss, hwm))} over 5 rounds of the 3 demo queries (${queryMs.toFixed(0)} ms per query); after them ${mb(statusKb(pid, 'VmRSS') * 1024)}`,
      );
    } finally {
      await server.stop();
    }
    const after = databaseUrl ? await databaseSize(databaseUrl) : diskBytes(pglite);
    console.log(`disk after serving and a clean stop: ${mb(after)} = ${(after / events).toFixed(0)} B/event`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
