// `npm run bench:ingest`: ingestion throughput of the real server (`groupgraph
// serve`, a child process, over real HTTP) on a fresh PostgreSQL database,
// each figure next to a baseline measured on the same machine in the same run:
//
//   trackBatch, 4 concurrent clients × 1,000-event batches  vs  COPY of the same
//     rows into a plain table (4 connections × 1,000-row COPYs; also one COPY of
//     everything, and COPYs into a table indexed like Event)  (target ≥ 0.35)
//   the same batches replayed: all duplicates, nothing written — what a batch
//     costs before storage (HTTP, GraphQL, validation, the exactly-once check)
//   single `track` mutations/s and POST /track requests/s    vs  `{ __typename }`
//     on the same server, 16 concurrent, interleaved rounds (target ≥ 0.4)
//   the server's peak RSS (VmHWM), as `groupgraph serve` starts by default and
//     with the tighter memory setting README describes    (target < 300 MB)
//
// Events look like live traffic: times within the last 10 minutes, 2,000
// profiles (half of them members of a group), 200 companies, a fifth of the
// events with a second (team) group.
//
// Admin URL: BENCH_DATABASE_URL, else DATABASE_URL, else
// postgresql://postgres@127.0.0.1:5432/postgres. The database
// groupgraph_bench_<random> is created and dropped at the end.
// BENCH_BATCHES (per client, default 25) and BENCH_SECONDS (per request kind,
// default 12) scale the run; it takes about two minutes.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

import { openPostgres } from '../src/db/database.ts';
import { TrackBatchDocument, type TrackBatchMutation } from '../src/sdk/index.ts';
import { KeyService } from '../src/services/keys.ts';
import { SECOND_MS } from '../src/time.ts';
import { benchServerUrl, createScratchDatabase } from '../test/helpers/db.ts';
import { keyHeaders } from '../test/helpers/http.ts';
import { startServer } from '../test/helpers/process.ts';

const CLIENTS = 4;
const BATCH = 1000;
const BATCHES_PER_CLIENT = Number(process.env.BENCH_BATCHES ?? 25);
const REQUEST_CONCURRENCY = 16;
const REQUEST_SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const ROUNDS = 6;
const PROFILES = 2000;
const GROUPS = 200;
const NAMES = ['page_view', 'dashboard_viewed', 'report_exported', 'file_shared', 'invite_sent', 'search', 'login'];

interface BenchEvent {
  id: string;
  name: string;
  profileId: string;
  groups: string[];
  properties: Record<string, unknown>;
  timestamp: string;
}

let seq = 0;
function event(): BenchEvent {
  const n = seq++;
  const groups = [`org_${n % GROUPS}`];
  if (n % 5 === 0) groups.push(`team_${n % 37}`);
  return {
    id: randomUUID(),
    name: NAMES[n % NAMES.length]!,
    profileId: `user_${(n * 7919) % PROFILES}`,
    groups,
    properties: { plan: n % 3 ? 'pro' : 'free', value: n % 1000, path: `/app/page/${n % 50}`, browser: 'Firefox' },
    // Live traffic: event times within the last 10 minutes (SDK queues, clock skew).
    timestamp: new Date(Date.now() - (n % 600) * SECOND_MS).toISOString(),
  };
}

// ---------------------------------------------------------------- HTTP client

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url: URL, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Requests/s with `concurrency` loops sending for `seconds`; every answer must be 200 without errors. */
async function rate(seconds: number, concurrency: number, send: () => Promise<{ status: number; body: string }>) {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const response = await send();
        if (response.status !== 200 || response.body.includes('"errors"')) {
          throw new Error(`unexpected answer ${response.status}: ${response.body.slice(0, 300)}`);
        }
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

// ---------------------------------------------------------------- server

/** VmHWM: the peak resident set of a process, in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(status.match(/VmHWM:\s+(\d+)\s+kB/)?.[1] ?? NaN);
  return kb / 1024;
}

// ---------------------------------------------------------------- phases

const COPY_COLUMNS = '"projectId", "id", "name", "profileId", "groupIds", "properties", "createdAt"';

function copyText(projectId: string, rows: BenchEvent[]): string {
  // COPY text format: tab-separated, \N for null; our values hold no tabs,
  // newlines or backslashes, so no escaping is needed.
  return rows
    .map((e) =>
      [projectId, e.id, e.name, e.profileId, `{${e.groups.join(',')}}`, JSON.stringify(e.properties), e.timestamp].join(
        '\t',
      ),
    )
    .join('\n')
    .concat('\n');
}

type CopyShape = 'chunked' | 'single' | 'indexed';

/**
 * Rows/s of COPY of the same rows. `chunked`: into a plain table (same columns;
 * no keys, no indexes), shaped like the trackBatch run — one connection per
 * client, one 1,000-row COPY (one transaction) per batch. `single`: one COPY of
 * everything over a single connection, the classic bulk-load figure. `indexed`:
 * chunked, into a table with Event's primary key and indexes — PostgreSQL's
 * fastest load path doing only the index work exactly-once storage needs.
 */
async function copyBaseline(url: string, batches: BenchEvent[][][], shape: CopyShape): Promise<number> {
  const table = `copy_baseline_${shape}`;
  const streams: BenchEvent[][][] = shape === 'single' ? [[batches.flat(2)]] : batches;
  const clients = await Promise.all(
    streams.map(async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  await clients[0]!.query(
    shape === 'indexed'
      ? `CREATE TABLE ${table} (LIKE "Event" INCLUDING DEFAULTS INCLUDING INDEXES)`
      : `CREATE TABLE ${table} (
    "projectId" text, "id" text, "name" text, "profileId" text, "groupIds" text[], "properties" jsonb, "createdAt" timestamptz)`,
  );
  const texts = streams.map((chunks) => chunks.map((rows) => copyText('bench', rows)));
  const start = performance.now();
  await Promise.all(
    clients.map(async (client, i) => {
      for (const text of texts[i]!) {
        await pipeline(Readable.from([text]), client.query(copyFrom(`COPY ${table} (${COPY_COLUMNS}) FROM STDIN`)));
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  return batches.flat(2).length / seconds;
}

/**
 * Events/s of trackBatch. `replay`: the batches were stored before, so every
 * event is a duplicate — HTTP, GraphQL, validation and the exactly-once check,
 * but nothing to write: the floor under the stored figure.
 */
async function trackBatchRate(base: URL, headers: Record<string, string>, batches: BenchEvent[][][], replay = false) {
  const url = new URL('/graphql', base);
  const query = String(TrackBatchDocument); // what the SDK sends
  let accepted = 0;
  let sent = 0;
  const start = performance.now();
  await Promise.all(
    batches.map(async (mine) => {
      for (const events of mine) {
        const response = await post(url, JSON.stringify({ query, variables: { events } }), headers);
        const result = JSON.parse(response.body) as { data?: TrackBatchMutation | null; errors?: unknown };
        const counts = result.data?.trackBatch;
        const expected = replay ? counts?.duplicates : counts?.accepted;
        if (
          response.status !== 200 ||
          result.errors ||
          !counts ||
          counts.rejected.length > 0 ||
          expected !== events.length
        ) {
          throw new Error(`trackBatch failed: ${response.body.slice(0, 500)}`);
        }
        accepted += counts.accepted;
        sent += events.length;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: sent / seconds, accepted };
}

function batchesOf(clients: number, perClient: number): BenchEvent[][][] {
  return Array.from({ length: clients }, () =>
    Array.from({ length: perClient }, () => Array.from({ length: BATCH }, event)),
  );
}

// ---------------------------------------------------------------- main

interface Figures {
  batch: { perSecond: number; accepted: number };
  replayed: { perSecond: number };
  typename: number;
  track: number;
  rest: number;
  rssMb: number;
}

/** Starts a server with `serverEnv` and runs the whole load against it; `between` runs while it is idle. */
async function measure(
  url: string,
  key: { clientId: string; clientSecret: string },
  serverEnv: Record<string, string>,
  batches: BenchEvent[][][],
  between: () => Promise<void> = async () => {},
): Promise<Figures> {
  const server = await startServer(
    {
      DATABASE_URL: url,
      NODE_ENV: 'production',
      RATE_LIMIT_PER_SECOND: '0',
      DATABASE_POOL_SIZE: '10',
      ...serverEnv,
    },
    { echoStderr: true },
  );
  try {
    const headers = keyHeaders(key);
    const base = new URL(server.url);
    // Warm up (JIT, pool, prepared statements), then measure.
    await trackBatchRate(base, headers, batchesOf(CLIENTS, 2));
    const batch = await trackBatchRate(base, headers, batches);
    const replayed = await trackBatchRate(base, headers, batches, true);
    await between();

    const graphql = new URL('/graphql', base);
    const typenameBody = JSON.stringify({ query: '{ __typename }' });
    const trackQuery = 'mutation($input: TrackInput!) { track(input: $input) { duplicate event { id } } }';
    const trackBody = () => JSON.stringify({ query: trackQuery, variables: { input: event() } });
    const restUrl = new URL('/track', base);
    const restBody = () => {
      const e = event();
      return JSON.stringify({
        type: 'track',
        payload: { name: e.name, profileId: e.profileId, groups: e.groups, properties: e.properties },
      });
    };
    const browser = { ...headers, 'user-agent': 'Mozilla/5.0 (bench)' };
    const loads = {
      typename: () => post(graphql, typenameBody, headers),
      track: () => post(graphql, trackBody(), headers),
      rest: () => post(restUrl, restBody(), browser),
    };
    for (const send of Object.values(loads)) await rate(1, REQUEST_CONCURRENCY, send);
    // Short interleaved rounds, so drifting load on the machine affects all three alike.
    const requests = { typename: 0, track: 0, rest: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [kind, send] of Object.entries(loads)) {
        requests[kind as keyof typeof loads] += await rate(REQUEST_SECONDS / ROUNDS, REQUEST_CONCURRENCY, send);
      }
    }
    return {
      batch,
      replayed,
      typename: requests.typename / ROUNDS,
      track: requests.track / ROUNDS,
      rest: requests.rest / ROUNDS,
      rssMb: peakRssMb(server.child.pid!),
    };
  } finally {
    await server.stop('SIGTERM');
  }
}

/** Nothing lost, nothing doubled: every trackBatch event is stored once. */
async function checkStored(url: string, batches: BenchEvent[][][], accepted: number): Promise<void> {
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  try {
    const ids = batches.flat(2).map((e) => e.id);
    const { rows } = await check.query<{ n: string }>(
      `SELECT count(*) AS n FROM "Event" WHERE "projectId" = 'bench' AND "id" = ANY($1::text[])`,
      [ids],
    );
    if (Number(rows[0]!.n) !== ids.length || accepted !== ids.length) {
      throw new Error(`stored ${rows[0]!.n} of ${ids.length} events (accepted ${accepted})`);
    }
  } finally {
    await check.end();
  }
}

/**
 * The setting README suggests for the smallest instances, on top of the
 * defaults: fewer glibc malloc arenas (BENCH_MEMORY_SETTINGS, as JSON, tries
 * others — e.g. NODE_OPTIONS heap sizes, which replace the server's own default).
 */
const MEMORY_SETTINGS: Record<string, string> = process.env.BENCH_MEMORY_SETTINGS
  ? JSON.parse(process.env.BENCH_MEMORY_SETTINGS)
  : { MALLOC_ARENA_MAX: '2' };

async function main() {
  const scratch = await createScratchDatabase(benchServerUrl(), { prefix: 'groupgraph_bench' });
  const url = scratch.url;
  try {
    const database = openPostgres(url, { poolSize: 2 });
    await database.migrate();
    const key = await new KeyService(database.prisma).create('bench', 'root');
    // Half the profiles belong to a group, so inheritance has memberships to read.
    await database.prisma.$executeRaw`
      WITH p AS (INSERT INTO "Profile" ("projectId", "id")
        SELECT 'bench', 'user_' || i FROM generate_series(0, ${PROFILES - 1}) i RETURNING "id")
      INSERT INTO "GroupMembership" ("projectId", "profileId", "groupId")
      SELECT 'bench', 'user_' || i, 'org_' || (i % ${GROUPS}) FROM generate_series(0, ${PROFILES - 1}, 2) i`;
    await database.close();

    // The server as it starts by default: the figures the targets are checked against.
    const batches = batchesOf(CLIENTS, BATCHES_PER_CLIENT);
    let copy = 0;
    let copyOne = 0;
    let copyIndexed = 0;
    const plain = await measure(url, key, {}, batches, async () => {
      copy = await copyBaseline(url, batches, 'chunked');
      copyOne = await copyBaseline(url, batches, 'single');
      copyIndexed = await copyBaseline(url, batches, 'indexed');
    });
    await checkStored(url, batches, plain.batch.accepted);
    // The same load again on a server with the memory setting.
    const tunedBatches = batchesOf(CLIENTS, BATCHES_PER_CLIENT);
    const tuned = await measure(url, key, MEMORY_SETTINGS, tunedBatches);
    await checkStored(url, tunedBatches, tuned.batch.accepted);

    const f = (n: number) => Math.round(n).toLocaleString('en-US');
    const r = (n: number) => n.toFixed(2);
    const settings = Object.entries(MEMORY_SETTINGS)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const table = [
      ['measure', 'groupgraph', 'baseline', 'ratio', 'target'],
      [
        `trackBatch, ${CLIENTS} clients × ${BATCH} events (events/s)`,
        f(plain.batch.perSecond),
        `COPY, ${CLIENTS} conn. × ${BATCH} rows ${f(copy)}`,
        r(plain.batch.perSecond / copy),
        '≥ 0.35',
      ],
      ['', '', `COPY, all rows at once ${f(copyOne)}`, r(plain.batch.perSecond / copyOne), ''],
      ['', '', `COPY, indexed like Event ${f(copyIndexed)}`, r(plain.batch.perSecond / copyIndexed), ''],
      [
        `trackBatch replayed: all duplicates, nothing written`,
        f(plain.replayed.perSecond),
        `COPY, ${CLIENTS} conn. × ${BATCH} rows ${f(copy)}`,
        r(plain.replayed.perSecond / copy),
        '',
      ],
      [
        `track mutation, ${REQUEST_CONCURRENCY} concurrent (req/s)`,
        f(plain.track),
        `{ __typename } ${f(plain.typename)}`,
        r(plain.track / plain.typename),
        '≥ 0.40',
      ],
      [
        `POST /track, ${REQUEST_CONCURRENCY} concurrent (req/s)`,
        f(plain.rest),
        `{ __typename } ${f(plain.typename)}`,
        r(plain.rest / plain.typename),
        '≥ 0.40',
      ],
      ['server peak RSS (MB), defaults', plain.rssMb.toFixed(1), '', '', '< 300'],
      ['server peak RSS (MB), memory settings', tuned.rssMb.toFixed(1), '', '', '< 300'],
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
    const events = (plain.batch.accepted + tuned.batch.accepted).toLocaleString('en-US');
    console.log(`\nIngestion benchmark on PostgreSQL (${events} trackBatch events, each checked stored once)\n`);
    console.log(line(table[0]!));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const row of table.slice(1)) console.log(line(row));
    console.log(
      `\nMemory settings: ${settings}. Same load with them: trackBatch ${f(tuned.batch.perSecond)} events/s, ` +
        `track ${f(tuned.track)} req/s (${r(tuned.track / tuned.typename)}), POST /track ${f(tuned.rest)} req/s ` +
        `(${r(tuned.rest / tuned.typename)}), { __typename } ${f(tuned.typename)} req/s.`,
    );
    const held = {
      'trackBatch ≥ 0.35 × COPY': plain.batch.perSecond / copy >= 0.35,
      'track ≥ 0.4 × { __typename }': plain.track / plain.typename >= 0.4,
      'POST /track ≥ 0.4 × { __typename }': plain.rest / plain.typename >= 0.4,
      'peak RSS < 300 MB (defaults)': plain.rssMb < 300,
      'peak RSS < 300 MB (memory settings)': tuned.rssMb < 300,
    };
    for (const [target, ok] of Object.entries(held)) console.log(`${ok ? 'holds' : 'MISSED'}  ${target}`);
  } finally {
    agent.destroy();
    await scratch.drop();
  }
}

await main();
