// One project must not starve another. Project A (the demo data set over 124
// days) sends the heavy query of the attack — hourly eventAggregation, 33 groups,
// as many aliases as the cost limit lets through — from as many clients as its
// analysis concurrency allows, back to back; meanwhile project B reads one group.
// Prints B's p50 latency unloaded and loaded and their ratio, what A got, that
// the 10-alias attack is refused before it runs, and the process's RSS.
//
//   npm run bench:fairness -- [--events 20000] [--samples 200] [--aliases 2] [--postgres]
//
// --postgres: a scratch database on BENCH_DATABASE_URL, else DATABASE_URL, else
// postgresql://postgres@127.0.0.1:5432/postgres (embedded PGlite otherwise).
import { parseArgs } from 'node:util';

import { seedDemo } from '../src/cli/demo/insert.ts';
import { DEFAULTS } from '../src/config.ts';
import { openEmbedded, openPostgres, type Database } from '../src/db/database.ts';
import { createApp } from '../src/http/app.ts';
import { listen } from '../src/http/server.ts';
import { KeyService } from '../src/services/keys.ts';
import { benchServerUrl, createScratchDatabase } from '../test/helpers/db.ts';
import { cheapReads, heavyLoad, heavyQuery, median, resets } from '../test/helpers/fairness.ts';
import { keyHeaders } from '../test/helpers/http.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    samples: { type: 'string', default: '200' },
    aliases: { type: 'string', default: '2' },
    postgres: { type: 'boolean', default: false },
  },
});
const samples = Number(values.samples);
const aliases = Number(values.aliases);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

let database: Database;
let drop = async () => {};
if (values.postgres) {
  const scratch = await createScratchDatabase(benchServerUrl(), { prefix: 'groupgraph_fairness' });
  database = openPostgres(scratch.url);
  drop = scratch.drop;
} else {
  database = await openEmbedded(undefined);
}
await database.migrate();
const keys = new KeyService(database.prisma);
await seedDemo(database.prisma, 'project_a', { events: Number(values.events), days: 124, seed: 1 });
const heavyKey = await keys.create('project_a', 'read');
const cheapKey = await keys.create('project_b', 'root');
const app = createApp({ database, production: true, rateLimit: { perSecond: 0, burst: 1 } });
const server = await listen(app, 0, '127.0.0.1');
await fetch(`${server.url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...keyHeaders(cheapKey) },
  body: JSON.stringify({
    query: 'mutation { upsertGroup(input: { id: "acme", type: "company", name: "Acme" }) { id } }',
  }),
});

// The attack as reported: 10 aliases. Refused before it runs.
const attack = await fetch(`${server.url}/graphql`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...keyHeaders(heavyKey) },
  body: JSON.stringify({ query: heavyQuery(10) }),
});
const attackBody = (await attack.json()) as any;

await cheapReads(server.url, cheapKey, 'acme', 20); // warm-up
global.gc?.();
const rssBefore = process.memoryUsage().rss;
const unloaded = await cheapReads(server.url, cheapKey, 'acme', samples);
let peakRss = rssBefore;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const workers = DEFAULTS.analysisConcurrencyPerProject;
const load = heavyLoad(server.url, heavyKey, workers, aliases);
await new Promise((r) => setTimeout(r, 1000)); // the load is running
const loaded = await cheapReads(server.url, cheapKey, 'acme', samples);
const heavy = await load.stop();
clearInterval(sampler);
const rssAfter = process.memoryUsage().rss;

const p50 = { unloaded: median(unloaded), loaded: median(loaded) };
console.log(
  `fairness on ${database.kind}: ${values.events} events of project A over 124 days; ${workers} clients of A, ${aliases} aliases each`,
);
console.log(
  `  the 10-alias attack: ${attack.status} ${attackBody.errors?.[0]?.extensions?.code} (found ${attackBody.errors?.[0]?.extensions?.found} points, max ${attackBody.errors?.[0]?.extensions?.max})`,
);
console.log(
  `  A's heavy queries: ${heavy.completed} answered (median ${median(heavy.durations).toFixed(0)} ms), ${heavy.refused} turned away (RATE_LIMITED or UNAVAILABLE); ${JSON.stringify(heavy.statuses)}`,
);
console.log(`  B's group(id) p50 unloaded: ${p50.unloaded.toFixed(1)} ms (${samples} samples)`);
console.log(`  B's group(id) p50 loaded:   ${p50.loaded.toFixed(1)} ms`);
console.log(`  ratio loaded / unloaded:    ${(p50.loaded / p50.unloaded).toFixed(2)}`);
console.log(`  connections reset by keep-alive and sent again: ${resets.count}`);
console.log(`  RSS: ${mb(rssBefore)} before, ${mb(peakRss)} peak under load, ${mb(rssAfter)} after`);

await server.close();
await app.rateLimiter.close();
await app.authFailureLimiter.close();
await database.close();
await drop();
process.exit(0);
