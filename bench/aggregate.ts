// npm run bench:aggregate -- --events 2000000 [--runs 21] [--naive-runs 9] [--duck-runs 21] [--keep]
//
// Loads the demo data set on PostgreSQL at three sizes (a quarter, half and all
// of --events; each size a copy of the previous database plus the next chunk of
// the same generator) and times four eventAggregation questions against two
// baselines computing the same answer:
// - DuckDB (in-process, all cores) over a copy of the same events and groups,
//   what a user who outgrows a dashboard would do (bench/aggregate-duckdb.ts);
// - a naive SQL query over the raw Event table (unnest + GROUP BY); --naive-runs 0
//   only checks its answer.
// Our side is timed three ways: the service call (SQL and assembly), GraphQL
// execution alone (graphql-js execute, resolver to result, no HTTP or auth), and
// a real HTTP request to a listening server with a read key. All sizes are
// timed in interleaved rounds at the end, so other load on the machine falls on
// them alike. PostgreSQL runs with JIT off on both of its sides. Every baseline's
// answer is compared with ours before anything is timed.
//
// Needs a PostgreSQL server: BENCH_DATABASE_URL, else DATABASE_URL, else
// postgresql://postgres@127.0.0.1:5432/postgres, used as the admin connection to
// create (and afterwards drop) one database groupgraph_bench_<random> a size.
import { parseArgs } from 'node:util';

import type { DuckDBConnection } from '@duckdb/node-api';
import { execute, parse } from 'graphql';

import { insertDemoEvents, insertDemoPopulation } from '../src/cli/demo/insert.ts';
import { createDemoPopulation, demoCompanyCount } from '../src/cli/demo/population.ts';
import { progressBar } from '../src/cli/seed.ts';
import { openPostgres, type Database } from '../src/db/database.ts';
import { createLoaders } from '../src/graphql/loaders.ts';
import { schema } from '../src/graphql/schema.ts';
import { createApp } from '../src/http/app.ts';
import { listen, type RunningServer } from '../src/http/server.ts';
import { createServices } from '../src/services/index.ts';
import { KeyService } from '../src/services/keys.ts';
import type { AggregationResult } from '../src/services/analysis/assemble.ts';
import { validateQuestion, type AggregationInput } from '../src/services/analysis/question.ts';
import { AggregationService } from '../src/services/analysis/service.ts';
import { DAY_MS } from '../src/time.ts';
import { benchServerUrl, createScratchDatabase, databaseUrl, type ScratchDatabase } from '../test/helpers/db.ts';
import { askDuckDB, loadDuckDB, type Cell, type DuckQuestion } from './aggregate-duckdb.ts';

const PROJECT = 'bench';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    runs: { type: 'string', default: '21' },
    'naive-runs': { type: 'string', default: '9' },
    'duck-runs': { type: 'string', default: '21' },
    keep: { type: 'boolean', default: false },
    /** Databases kept by an earlier run (--keep), smallest first: time them without loading again. */
    reuse: { type: 'string' },
  },
});
const total = Number(values.events.replace(/_/g, ''));
const runs = Number(values.runs);
const naiveRuns = Number(values['naive-runs']);
const duckRuns = Number(values['duck-runs']);
if (!Number.isInteger(total) || total < 1000) throw new Error('--events must be an integer ≥ 1000');
const sizes = [Math.round(total / 4), Math.round(total / 2), total];

interface Question {
  name: string;
  ours: AggregationInput;
  naive: { sql: string; params: unknown[] };
  duck: DuckQuestion;
}

/** The four questions of the issue, over the last 30 (or 90) days of the demo. */
function questions(now: Date, busiest: string): Question[] {
  const since = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const d30 = since(30);
  const d90 = since(90);
  const day = `date_trunc('day', e."createdAt", 'UTC')`;
  return [
    {
      name: '(a) daily EVENTS by GROUP, top 10, 30 days', // group-less events are the null series
      ours: { metric: 'EVENTS', from: d30, to: now, interval: 'DAY', breakdown: 'GROUP', limit: 10 },
      duck: { kind: 'eventsByGroup', from: d30.getTime(), to: now.getTime(), limit: 10 },
      naive: {
        sql: `
          WITH top AS (
            SELECT g FROM "Event" e LEFT JOIN LATERAL unnest(e."groupIds") g ON true
            WHERE e."projectId" = $1 AND e."createdAt" >= $2 AND e."createdAt" < $3
            GROUP BY g ORDER BY count(*) DESC, g COLLATE "C" LIMIT 10)
          SELECT u.g AS "key", ${day} AS "day", count(*)::float8 AS "value"
          FROM "Event" e LEFT JOIN LATERAL unnest(e."groupIds") AS u(g) ON true
          WHERE e."projectId" = $1 AND e."createdAt" >= $2 AND e."createdAt" < $3
            AND EXISTS (SELECT 1 FROM top WHERE top.g IS NOT DISTINCT FROM u.g)
          GROUP BY 1, 2`,
        params: [PROJECT, d30, now],
      },
    },
    {
      name: `(b) daily UNIQUE_PROFILES of the busiest company, 30 days`,
      ours: { metric: 'UNIQUE_PROFILES', from: d30, to: now, interval: 'DAY', filter: { groupIds: [busiest] } },
      duck: { kind: 'uniqueProfilesOfGroup', from: d30.getTime(), to: now.getTime(), groupId: busiest },
      naive: {
        sql: `
          SELECT NULL::text AS "key", ${day} AS "day", count(DISTINCT e."profileId")::float8 AS "value"
          FROM "Event" e, unnest(e."groupIds") g
          WHERE e."projectId" = $1 AND e."createdAt" >= $2 AND e."createdAt" < $3 AND g = $4
          GROUP BY 2`,
        params: [PROJECT, d30, now, busiest],
      },
    },
    {
      name: '(c) daily UNIQUE_GROUPS (active companies), 90 days',
      ours: { metric: 'UNIQUE_GROUPS', from: d90, to: now, interval: 'DAY', filter: { groupType: 'company' } },
      duck: { kind: 'uniqueGroupsOfType', from: d90.getTime(), to: now.getTime(), groupType: 'company' },
      naive: {
        sql: `
          SELECT NULL::text AS "key", ${day} AS "day", count(DISTINCT g)::float8 AS "value"
          FROM "Event" e CROSS JOIN LATERAL unnest(e."groupIds") g
          JOIN "Group" grp ON grp."projectId" = e."projectId" AND grp."id" = g AND grp."type" = 'company'
          WHERE e."projectId" = $1 AND e."createdAt" >= $2 AND e."createdAt" < $3
          GROUP BY 2`,
        params: [PROJECT, d90, now],
      },
    },
    {
      name: '(d) daily EVENTS by GROUP_PROPERTY "plan", 30 days',
      ours: {
        metric: 'EVENTS',
        from: d30,
        to: now,
        interval: 'DAY',
        breakdown: 'GROUP_PROPERTY',
        breakdownProperty: 'plan',
        limit: 20,
      },
      duck: { kind: 'eventsByGroupProperty', from: d30.getTime(), to: now.getTime(), property: 'plan' },
      // Each event once per plan among its groups; in the null series when none has one.
      naive: {
        sql: `
          SELECT k."plan" AS "key", ${day} AS "day", count(*)::float8 AS "value"
          FROM "Event" e
          LEFT JOIN LATERAL (
            SELECT DISTINCT grp."properties" ->> 'plan' AS "plan"
            FROM unnest(e."groupIds") g
            JOIN "Group" grp ON grp."projectId" = e."projectId" AND grp."id" = g
            WHERE grp."properties" ->> 'plan' IS NOT NULL
          ) k ON true
          WHERE e."projectId" = $1 AND e."createdAt" >= $2 AND e."createdAt" < $3
          GROUP BY 1, 2`,
        params: [PROJECT, d30, now],
      },
    },
  ];
}

async function naive(db: Database, q: Question): Promise<Cell[]> {
  // Interactive, for its timeout: a naive scan of millions of events on a busy machine takes seconds.
  return db.prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SET LOCAL jit = off`;
      return tx.$queryRawUnsafe<Cell[]>(q.naive.sql, ...q.naive.params);
    },
    { timeout: 600_000, maxWait: 60_000 },
  );
}

/** Both answers as "key|day → value", zeros left out. */
function sameAnswer(ours: AggregationResult, theirs: Cell[]): boolean {
  const a = new Map<string, number>();
  const b = new Map<string, number>(theirs.map((c) => [`${c.key}|${c.day.toISOString()}`, c.value]));
  for (const s of ours.series)
    for (const p of s.points) if (p.value !== 0) a.set(`${s.key}|${p.bucket.toISOString()}`, p.value);
  const same = a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  if (!same && process.env.BENCH_DEBUG) {
    console.log(
      [...a].filter(([k, v]) => b.get(k) !== v).slice(0, 5),
      [...b].filter(([k, v]) => a.get(k) !== v).slice(0, 5),
    );
  }
  return same;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const millions = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : `${Math.round(n / 1e3)} k`).padStart(6);
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)).padStart(7);

/** One loaded size: its own database, so every size can be timed side by side at the end. */
interface Size {
  events: number;
  database: ScratchDatabase;
  db: Database;
  service: AggregationService;
  questions: Question[];
  duck: DuckDBConnection;
  /** graphql-js execute over the schema with a read context: resolver to result. */
  execute: (input: AggregationInput) => Promise<unknown>;
  /** POST /graphql to a listening server with a read key. */
  http: (input: AggregationInput) => Promise<unknown>;
  server: RunningServer;
}

const QUERY = parse(`query Bench($input: EventAggregationInput!) {
  eventAggregation(input: $input) { seriesCount series { key label total points { bucket value } } }
}`);
const QUERY_TEXT = `query Bench($input: EventAggregationInput!) {
  eventAggregation(input: $input) { seriesCount series { key label total points { bucket value } } }
}`;

/** The input as GraphQL variables (dates as ISO strings). */
const variables = (input: AggregationInput) => ({
  input: JSON.parse(JSON.stringify(input)) as Record<string, unknown>,
});

/** Opens a size's database and everything that asks it: the service, GraphQL execution, an HTTP server. */
async function openSize(size: Omit<Size, 'db' | 'service' | 'execute' | 'http' | 'server'>): Promise<Size> {
  const db = open(size.database);
  const services = createServices(db.prisma, { trackBatchMax: 1000 });
  const key = await new KeyService(db.prisma).create(PROJECT, 'read');
  const context = {
    projectId: PROJECT,
    mode: 'read' as const,
    clientId: key.clientId,
    services,
  };
  const app = createApp({ database: db, production: true, rateLimit: { perSecond: 0, burst: 1 } });
  const server = await listen(app, 0, '127.0.0.1');
  const fail = (errors: readonly unknown[] | undefined) => {
    if (errors?.length) throw new Error(JSON.stringify(errors));
  };
  return {
    ...size,
    db,
    service: new AggregationService(db.prisma),
    server,
    execute: async (input) => {
      const result = await execute({
        schema,
        document: QUERY,
        variableValues: variables(input),
        contextValue: Object.freeze({ ...context, loaders: createLoaders(services, PROJECT) }),
      });
      fail(result.errors);
      return result.data;
    },
    http: async (input) => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'openpanel-client-id': key.clientId,
          'openpanel-client-secret': key.clientSecret,
        },
        body: JSON.stringify({ query: QUERY_TEXT, variables: variables(input) }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
      fail(body.errors);
      return body.data;
    },
  };
}

/**
 * Times every question at every size in rounds (one run of each size per round),
 * so load from anything else on the machine falls on all sizes alike and the
 * growth between sizes is not an artefact of when each was measured.
 */
async function timeInRounds(work: (() => Promise<unknown>)[], rounds: number): Promise<number[][]> {
  for (const w of work) await w(); // warm the cache and the plan
  const samples = work.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, w] of work.entries()) {
      const started = performance.now();
      await w();
      samples[i]!.push(performance.now() - started);
    }
  }
  return samples.map((list) => list.sort((x, y) => x - y));
}

// Loading and VACUUM ANALYZE of millions of rows outlast the server's default
// statement timeout; the bench sets its own.
const open = (database: ScratchDatabase) => openPostgres(database.url, { poolSize: 2, statementTimeoutMs: 3_600_000 });

const geomean = (values: number[]) => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);

async function main(): Promise<void> {
  const loaded: Size[] = [];
  const created: ScratchDatabase[] = [];
  try {
    const now = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS); // today, 00:00 UTC: whole days
    const population = createDemoPopulation({ companies: demoCompanyCount(total), seed: 1, now, days: 90 });
    let previous: ScratchDatabase | undefined;
    const pending: Omit<Size, 'db' | 'service' | 'execute' | 'http' | 'server' | 'duck'>[] = [];
    for (const [step, name] of (values.reuse?.split(',') ?? []).entries()) {
      const database: ScratchDatabase = {
        name,
        url: databaseUrl(benchServerUrl(), name),
        drop: async () => {},
      } as ScratchDatabase;
      const db = open(database);
      const [busiest] = await db.prisma.$queryRaw<{ id: string }[]>`
        SELECT eg."groupId" AS "id" FROM "EventGroup" eg JOIN "Group" g ON g."projectId" = eg."projectId" AND g."id" = eg."groupId"
        WHERE eg."projectId" = ${PROJECT} AND g."type" = 'company' AND eg."createdAt" >= ${new Date(now.getTime() - 30 * DAY_MS)}
        GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`;
      await db.close();
      pending.push({ events: sizes[step]!, database, questions: questions(now, busiest!.id) });
    }
    for (const [step, events] of values.reuse ? [] : sizes.entries()) {
      // Each size continues the previous one: a copy of its database plus the next chunk of the same generator.
      const database = await createScratchDatabase(benchServerUrl(), {
        prefix: 'groupgraph_bench',
        template: previous?.name,
      });
      created.push(database);
      const db = open(database);
      if (!previous) {
        await db.migrate();
        await insertDemoPopulation(db.prisma, PROJECT, population);
        const version = await db.prisma.$queryRaw<{ v: string }[]>`SELECT current_setting('server_version') AS "v"`;
        console.log(
          `PostgreSQL ${version[0]!.v}: ${population.companies.length} companies, ${population.users.length} users, ` +
            `events over the 90 days before ${now.toISOString()}\n`,
        );
      }
      const chunk = events - (step ? sizes[step - 1]! : 0);
      const started = Date.now();
      await insertDemoEvents(db.prisma, PROJECT, population, {
        count: chunk,
        run: step,
        onProgress: progressBar(`loading to ${events.toLocaleString('en')}`),
      });
      const seconds = (Date.now() - started) / 1000;
      await db.prisma.$executeRawUnsafe('VACUUM ANALYZE');
      console.log(
        `${events.toLocaleString('en')} events (${Math.round(chunk / seconds).toLocaleString('en')} events/s through insertEvents, rollups included)`,
      );
      const [busiest] = await db.prisma.$queryRaw<{ id: string }[]>`
        SELECT eg."groupId" AS "id" FROM "EventGroup" eg JOIN "Group" g ON g."projectId" = eg."projectId" AND g."id" = eg."groupId"
        WHERE eg."projectId" = ${PROJECT} AND g."type" = 'company' AND eg."createdAt" >= ${new Date(now.getTime() - 30 * DAY_MS)}
        GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`;
      await db.close(); // the next size copies this database, which needs it unused
      pending.push({ events, database, questions: questions(now, busiest!.id) });
      previous = database;
    }
    for (const size of pending) {
      const started = Date.now();
      const duck = await loadDuckDB(size.database.url, PROJECT);
      console.log(
        `copied ${size.events.toLocaleString('en')} events to DuckDB in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      loaded.push(await openSize({ ...size, duck }));
    }

    console.log('\nChecking that every side gives the same answer, then timing all sizes in rounds…');
    const results: string[] = [];
    const growth: string[] = [];
    /** ratios[size] = DuckDB median / ours (HTTP) median per question. */
    const ratios = loaded.map(() => ({ service: [] as number[], http: [] as number[] }));
    for (const [qi, question] of questions(now, '').entries()) {
      const sources: string[] = [];
      for (const size of loaded) {
        const q = size.questions[qi]!;
        const answer = await size.service.aggregate(PROJECT, q.ours);
        if (!sameAnswer(answer, await naive(size.db, q)))
          throw new Error(`${q.name}: the naive query gives a different answer at ${size.events} events`);
        if (!sameAnswer(answer, await askDuckDB(size.duck, q.duck)))
          throw new Error(`${q.name}: DuckDB gives a different answer at ${size.events} events`);
        sources.push((await size.service.plan(validateQuestion(q.ours))).storage.path);
      }
      const time = (side: (size: Size, q: Question) => Promise<unknown>, rounds: number) =>
        rounds > 0
          ? timeInRounds(
              loaded.map((size) => () => side(size, size.questions[qi]!)),
              rounds,
            )
          : null;
      const service = (await time((size, q) => size.service.aggregate(PROJECT, q.ours), runs))!;
      const executed = (await time((size, q) => size.execute(q.ours), runs))!;
      const http = (await time((size, q) => size.http(q.ours), runs))!;
      const duck = (await time((size, q) => askDuckDB(size.duck, q.duck), duckRuns))!;
      const naiveTimes = await time((size, q) => naive(size.db, q), naiveRuns);
      const medians = loaded.map((_, i) => ({
        service: quantile(service[i]!, 0.5),
        execute: quantile(executed[i]!, 0.5),
        http: quantile(http[i]!, 0.5),
        duck: quantile(duck[i]!, 0.5),
        naive: naiveTimes ? quantile(naiveTimes[i]!, 0.5) : NaN,
      }));
      for (const [i, size] of loaded.entries()) {
        const m = medians[i]!;
        ratios[i]!.service.push(m.duck / m.service);
        ratios[i]!.http.push(m.duck / m.http);
        const line =
          `${millions(size.events)} | ${question.name.padEnd(54)} | ${ms(m.service)} ${ms(quantile(service[i]!, 0.95))} | ` +
          `${ms(m.execute)} | ${ms(m.http)} | ${ms(m.duck)} | ${(m.duck / m.service).toFixed(2).padStart(6)} ${(m.duck / m.http).toFixed(2).padStart(6)} | ` +
          `${naiveTimes ? `${ms(m.naive)} ${(m.naive / m.service).toFixed(0).padStart(5)}×` : '      –      '} | ${sources[i]}`;
        results.push(line);
        console.log(line);
      }
      const first = medians[0]!;
      const last = medians.at(-1)!;
      growth.push(
        `  ${question.name.padEnd(54)} ours ×${(last.http / first.http).toFixed(2)}   DuckDB ×${(last.duck / first.duck).toFixed(2)}` +
          (naiveTimes ? `   naive ×${(last.naive / first.naive).toFixed(2)}` : ''),
      );
    }
    const header =
      ` events | question${' '.repeat(46)} | service: median   p95 | execute |    HTTP |  DuckDB | DuckDB/ours: svc  HTTP | naive ms, naive/svc | source\n` +
      `${'-'.repeat(170)}`;
    console.log(`\n${header}\n${results.join('\n')}`);
    console.log('\nGeometric mean of DuckDB / ours (≥ 1: we are faster):');
    for (const [i, size] of loaded.entries()) {
      console.log(
        `  ${millions(size.events)}: service ${geomean(ratios[i]!.service).toFixed(2)}, HTTP ${geomean(ratios[i]!.http).toFixed(2)}; ` +
          `lowest question (HTTP) ${Math.min(...ratios[i]!.http).toFixed(2)}`,
      );
    }
    console.log(
      `\nGrowth from ${millions(sizes[0]!).trim()} to ${millions(sizes.at(-1)!).trim()} events (median time ×; ours over HTTP):\n${growth.join('\n')}`,
    );
    console.log(
      `\nmedian/p95 in ms over ${runs} runs (ours, each way), ${duckRuns} (DuckDB) and ${naiveRuns} (naive) after one warm-up, all sizes interleaved; ` +
        'execute = GraphQL execution alone; source = the storage that answered ours.',
    );
  } finally {
    for (const size of loaded) {
      await size.server.close(0).catch(() => {});
      size.duck.closeSync();
      await size.db.close().catch(() => {});
    }
    if (values.keep) console.log(`kept databases ${created.map((d) => d.name).join(', ')}`);
    else for (const database of created) await database.drop();
  }
}

await main();
