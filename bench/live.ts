// `npm run bench:live`: live events on the real server (`groupgraph serve`, a
// child process, over real HTTP) on a fresh PostgreSQL database:
//
//   delivery latency p50/p99: a `track` mutation sent → the event read by a
//     subscriber over SSE (one unfiltered subscriber among the 100 below)
//   ingest cost: trackBatch events/s with 100 subscribers open (each filtered
//     on its own group: 100 distinct filters)  vs  the same batches with none,
//     interleaved rounds on the same server (target ≥ 0.9)
//
// Admin URL: BENCH_DATABASE_URL, else DATABASE_URL, else
// postgresql://postgres@127.0.0.1:5432/postgres. BENCH_ROUNDS (default 3),
// BENCH_BATCHES (per round, default 20) and BENCH_LATENCY (default 200) scale it.
import { randomUUID } from 'node:crypto';

import { openPostgres } from '../src/db/database.ts';
import { KeyService, type CreatedKey } from '../src/services/keys.ts';
import { benchServerUrl, createScratchDatabase } from '../test/helpers/db.ts';
import { postGraphQL } from '../test/helpers/http.ts';
import { startServer } from '../test/helpers/process.ts';
import { subscribe, type Subscription } from '../test/helpers/sse.ts';

const SUBSCRIBERS = 100;
const BATCH = 500;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 20);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY ?? 200);

const BATCH_MUTATION = 'mutation($events: [TrackInput!]!) { trackBatch(events: $events) { accepted } }';
const TRACK = 'mutation($input: TrackInput!) { track(input: $input) { duplicate } }';
const LIVE = 'subscription($filter: EventFilter) { events(filter: $filter) { id name } }';

const batchOf = () =>
  Array.from({ length: BATCH }, (_, i) => ({
    id: randomUUID(),
    name: 'page_view',
    profileId: `user_${i % 200}`,
    groups: [`org_${i % SUBSCRIBERS}`],
    properties: { path: '/reports', i },
  }));

async function ingestRate(url: string, key: CreatedKey): Promise<number> {
  const batches = Array.from({ length: BATCHES }, batchOf);
  const started = performance.now();
  // Two clients, as a small fleet of app servers would send.
  await Promise.all(
    [0, 1].map(async (client) => {
      for (let b = client; b < batches.length; b += 2) {
        const result = await postGraphQL(`${url}/graphql`, BATCH_MUTATION, { events: batches[b] }, key);
        if (result.errors) throw new Error(JSON.stringify(result.errors));
      }
    }),
  );
  return (BATCHES * BATCH) / ((performance.now() - started) / 1000);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function main() {
  const scratch = await createScratchDatabase(benchServerUrl(), { prefix: 'groupgraph_bench' });
  const server = await startServer(
    { DATABASE_URL: scratch.url, DATA_DIR: undefined, LOG_LEVEL: 'warn' },
    { echoStderr: true, timeoutMs: 180_000 },
  );
  const db = openPostgres(scratch.url);
  const subs: Subscription[] = [];
  try {
    const key = await new KeyService(db.prisma).create('bench', 'root');
    await ingestRate(server.url, key); // warm-up: prepared statements, JIT of the server

    const without: number[] = [];
    const withSubs: number[] = [];
    const openAll = async () => {
      for (let i = 0; i < SUBSCRIBERS; i++) {
        subs.push(await subscribe(`${server.url}/graphql`, LIVE, { filter: { groupIds: [`org_${i}`] } }, key));
      }
    };
    const closeAll = async () => {
      for (const sub of subs.splice(0)) await sub.close();
    };
    for (let round = 0; round < ROUNDS; round++) {
      without.push(await ingestRate(server.url, key));
      await openAll();
      withSubs.push(await ingestRate(server.url, key));
      await closeAll();
    }

    // Latency: one unfiltered subscriber beside 99 filtered ones.
    await openAll();
    await subs.pop()!.close();
    const watcher = await subscribe(`${server.url}/graphql`, LIVE, { filter: { eventNames: ['latency_probe'] } }, key);
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const id = randomUUID();
      const sent = performance.now();
      await postGraphQL(
        `${server.url}/graphql`,
        TRACK,
        { input: { id, name: 'latency_probe', groups: ['org_0'] } },
        key,
      );
      for (;;) {
        const message = await watcher.next(30_000);
        if (message.event === 'next' && message.data.data?.events?.id === id) break;
      }
      latencies.push(performance.now() - sent);
    }
    await watcher.close();
    await closeAll();

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`trackBatch events/s, no subscribers (median of ${ROUNDS}):   ${median(without).toFixed(0)}`);
    console.log(`trackBatch events/s, ${SUBSCRIBERS} subscribers open:           ${median(withSubs).toFixed(0)}`);
    console.log(
      `ratio with/without (target ≥ 0.9):                     ${(median(withSubs) / median(without)).toFixed(2)}`,
    );
    console.log(
      `delivery latency, track sent → event read over SSE: p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms (${LATENCY_SAMPLES} events)`,
    );
  } finally {
    await Promise.all(subs.map((s) => s.close()));
    await db.close();
    await server.stop();
    await scratch.drop();
  }
}

await main();
