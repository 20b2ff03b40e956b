// Fuzzes the real server over HTTP: random schema operations with random
// variables, garbage bodies and random /track payloads. Prints the tally of
// answers and the worst event-loop stall; exits 1 on any 5xx or uncoded error.
//
//   npm run bench:fuzz -- [--runs 10000] [--seed N] [--postgres]
//
// --postgres: a scratch database on BENCH_DATABASE_URL, else DATABASE_URL, else
// postgresql://postgres@127.0.0.1:5432/postgres (embedded PGlite otherwise).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import fc from 'fast-check';

import { openEmbedded, openPostgres, type Database } from '../src/db/database.ts';
import { schema } from '../src/graphql/schema.ts';
import { createApp } from '../src/http/app.ts';
import { listen } from '../src/http/server.ts';
import { KeyService } from '../src/services/keys.ts';
import { benchServerUrl, createScratchDatabase } from '../test/helpers/db.ts';
import { fuzzCases, judge } from '../test/helpers/fuzz.ts';
import { keyHeaders } from '../test/helpers/http.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    postgres: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const seed = Number(values.seed);

let database: Database;
let drop = async () => {};
if (values.postgres) {
  const scratch = await createScratchDatabase(benchServerUrl(), { prefix: 'groupgraph_fuzz' });
  database = openPostgres(scratch.url);
  drop = scratch.drop;
} else {
  database = await openEmbedded(undefined);
}
await database.migrate();
const key = await new KeyService(database.prisma).create('fuzz', 'root');
const app = createApp({ database, production: true, rateLimit: { perSecond: 0, burst: 1 } });
const server = await listen(app, 0, '127.0.0.1');

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const tally = new Map<string, number>();
const failures: string[] = [];
const started = performance.now();
let done = 0;

await fc.assert(
  fc.asyncProperty(fuzzCases(schema), async (fuzz) => {
    let label: string;
    try {
      const response = await fetch(`${server.url}${fuzz.path}`, {
        method: 'POST',
        headers: { 'content-type': fuzz.contentType, ...keyHeaders(key) },
        body: fuzz.body,
      });
      const verdict = await judge(response);
      label = `${fuzz.path} ${verdict.status}`;
      if (!verdict.ok) failures.push(`${label} ${verdict.reason}\n    ${fuzz.body.slice(0, 400)}`);
    } catch (error) {
      label = `${fuzz.path} connection error`;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      failures.push(
        `${label} ${(error as Error).message} (${cause?.code ?? cause?.message ?? 'no cause'})\n    ${fuzz.body.slice(0, 400)}`,
      );
    }
    tally.set(label, (tally.get(label) ?? 0) + 1);
    if (++done % 500 === 0) process.stderr.write(`\r${done}/${runs}`);
    return true;
  }),
  { numRuns: runs, seed },
);
loop.disable();
process.stderr.write('\n');

const seconds = (performance.now() - started) / 1000;
console.log(`fuzz: ${done} cases in ${seconds.toFixed(1)} s on ${database.kind}, seed ${seed}`);
for (const [label, count] of [...tally].sort()) console.log(`  ${label.padEnd(28)} ${count}`);
console.log(
  `  worst event-loop stall: ${(loop.max / 1e6).toFixed(0)} ms (p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms)`,
);
console.log(`  server errors or uncoded errors: ${failures.length}`);
for (const failure of failures.slice(0, 10)) console.log(`  ! ${failure}`);

await server.close();
await database.close();
await drop();
process.exit(failures.length === 0 ? 0 : 1);
