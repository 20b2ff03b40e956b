// npm run bench:analysis -- --events 2000000 [--runs 11] [--keep]
//
// Loads the demo data set on PostgreSQL (through insertEvents, so the daily
// activity rows are kept as in production), copies the same events into an
// in-process DuckDB, and asks both the four questions with unit GROUP
// (company) and PROFILE:
//   - a 3-step funnel over 30 days with a 7-day window;
//   - weekly retention over 8 periods (FIRST_TIME, ON, any event);
//   - weekly lifecycle over 12 weeks;
//   - daily stickiness over 30 days.
// Every answer of ours is compared with DuckDB's before anything is timed; then
// both are timed in alternating runs (ours through the service, DuckDB with its
// default threads), and median, p95 and the ratio ours/DuckDB are printed.
//
// Needs a PostgreSQL server: BENCH_DATABASE_URL, else DATABASE_URL, else
// postgresql://postgres@127.0.0.1:5432/postgres (admin connection; one scratch
// database groupgraph_bench_analysis_<random>, dropped at the end unless --keep).
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';

import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

import { insertDemoEvents, insertDemoPopulation } from '../src/cli/demo/insert.ts';
import { createDemoPopulation, demoCompanyCount } from '../src/cli/demo/population.ts';
import { progressBar } from '../src/cli/seed.ts';
import { openPostgres } from '../src/db/database.ts';
import type { FunnelAnswer } from '../src/services/analysis/accounts/funnel.ts';
import { AccountAnalysisService } from '../src/services/analysis/accounts/service.ts';
import { DAY_MS } from '../src/time.ts';
import type { RefFunnel } from '../test/reference/analysis.ts';
import { benchServerUrl, createScratchDatabase } from '../test/helpers/db.ts';
import {
  duckFunnel,
  duckLifecycle,
  duckRetention,
  duckStickiness,
  loadEventsCsv,
  loadGroups,
  openDuckDB,
  type DuckUnit,
} from './analysis-duckdb.ts';

const PROJECT = 'bench';
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    runs: { type: 'string', default: '11' },
    keep: { type: 'boolean', default: false },
  },
});
const total = Number(values.events.replace(/_/g, ''));
const runs = Number(values.runs);
if (!Number.isInteger(total) || total < 1000) throw new Error('--events must be an integer ≥ 1000');

const iso = (d: Date) => d.toISOString();
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)).padStart(7);

function funnelShape(answer: FunnelAnswer): RefFunnel {
  return {
    steps: answer.steps.map(({ units: _units, ...step }) => ({ ...step, units: [], droppedUnits: [] })),
    breakdowns: [],
  };
}

/** JSON with sorted keys and fractions rounded: DuckDB's quantile_cont and ours may differ in the last bit. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'number' && !Number.isInteger(v)) return Number(v.toFixed(6));
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    return v;
  });
}

async function main(): Promise<void> {
  const database = await createScratchDatabase(benchServerUrl(), { prefix: 'groupgraph_bench_analysis' });
  // Loading and VACUUM ANALYZE of millions of rows outlast the server's default
  // statement timeout; the bench sets its own.
  const db = openPostgres(database.url, { poolSize: 2, statementTimeoutMs: 3_600_000 });
  const dir = mkdtempSync(join(tmpdir(), 'bench-analysis-'));
  try {
    const now = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS); // today, 00:00 UTC
    const population = createDemoPopulation({ companies: demoCompanyCount(total), seed: 1, now, days: 90 });
    await db.migrate();
    await insertDemoPopulation(db.prisma, PROJECT, population);
    const started = Date.now();
    await insertDemoEvents(db.prisma, PROJECT, population, {
      count: total,
      onProgress: progressBar(`loading ${total.toLocaleString('en')} events`),
    });
    console.log(`loaded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    await db.prisma.$executeRawUnsafe('VACUUM ANALYZE');

    // The same events and groups in DuckDB.
    const csv = join(dir, 'events.csv');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const stored = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "Event" WHERE "projectId" = $1`, [
      PROJECT,
    ]);
    await pipeline(
      client.query(
        copyTo(`COPY (SELECT "name", "profileId", array_to_json("groupIds"), (extract(epoch FROM "createdAt") * 1000)::bigint
          FROM "Event" WHERE "projectId" = '${PROJECT}') TO STDOUT (FORMAT csv)`),
      ),
      createWriteStream(csv),
    );
    const groups = await client.query<{ id: string; type: string | null }>(
      `SELECT "id", "type" FROM "Group" WHERE "projectId" = $1`,
      [PROJECT],
    );
    await client.end();
    const duck = await openDuckDB();
    await loadEventsCsv(duck, csv);
    await loadGroups(duck, groups.rows);
    const version = await db.prisma.$queryRaw<{ v: string }[]>`SELECT current_setting('server_version') AS "v"`;
    console.log(
      `PostgreSQL ${version[0]!.v}: ${Number(stored.rows[0]!.n).toLocaleString('en')} events, ` +
        `${population.companies.length} companies, ${population.users.length} users, 90 days before ${iso(now)}\n`,
    );

    const service = new AccountAnalysisService(db.prisma);
    const since = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const mondayOnOrBefore = (d: Date) => new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY_MS);
    const d30 = { from: since(30), to: now };
    const retentionRange = { from: mondayOnOrBefore(since(8 * 7)), to: now };
    const lifecycleRange = { from: mondayOnOrBefore(since(12 * 7)), to: now };
    const steps = ['invite_sent', 'report_viewed', 'report_exported'] as const;
    const units: { label: string; duck: DuckUnit; ours: { unit: 'PROFILE' | 'GROUP'; groupType?: string } }[] = [
      { label: 'GROUP', duck: { unit: 'GROUP', groupType: 'company' }, ours: { unit: 'GROUP', groupType: 'company' } },
      { label: 'PROFILE', duck: { unit: 'PROFILE' }, ours: { unit: 'PROFILE' } },
    ];

    const lines: string[] = [];
    for (const unit of units) {
      const cases: { name: string; ours: () => Promise<unknown>; duck: () => Promise<unknown> }[] = [
        {
          name: 'funnel, 3 steps, 30 days, 7-day window',
          ours: async () =>
            funnelShape(
              await service.funnel(PROJECT, {
                ...unit.ours,
                ...d30,
                steps: steps.map((name) => ({ name })),
                windowSeconds: 7 * 86_400,
              }),
            ),
          duck: () => duckFunnel(duck, unit.duck, { steps, ...d30, windowSeconds: 7 * 86_400 }),
        },
        {
          name: 'retention, weekly, 8 periods',
          ours: async () => {
            const r = await service.retention(PROJECT, { ...unit.ours, ...retentionRange, periods: 8 }, { now });
            return { cohorts: r.cohorts.map((c) => ({ ...c, start: iso(c.start) })), average: r.average };
          },
          duck: () => duckRetention(duck, unit.duck, { ...retentionRange, periods: 8, now }),
        },
        {
          name: 'lifecycle, weekly, 12 weeks',
          ours: async () => {
            const l = await service.lifecycle(PROJECT, { ...unit.ours, ...lifecycleRange });
            return { buckets: l.buckets.map((b) => ({ ...b, bucket: iso(b.bucket) })) };
          },
          duck: () => duckLifecycle(duck, unit.duck, lifecycleRange),
        },
        {
          name: 'stickiness, daily, 30 days',
          ours: () => service.stickiness(PROJECT, { ...unit.ours, ...d30 }),
          duck: () => duckStickiness(duck, unit.duck, d30),
        },
      ];
      for (const c of cases) {
        const [ours, theirs] = [await c.ours(), await c.duck()];
        if (canonical(ours) !== canonical(theirs)) {
          console.log(canonical(ours), '\n', canonical(theirs));
          throw new Error(`${unit.label} ${c.name}: DuckDB gives a different answer`);
        }
        const times = { ours: [] as number[], duck: [] as number[] };
        for (let r = 0; r < runs; r++) {
          for (const side of ['ours', 'duck'] as const) {
            const t0 = performance.now();
            await c[side]();
            times[side].push(performance.now() - t0);
          }
        }
        times.ours.sort((a, b) => a - b);
        times.duck.sort((a, b) => a - b);
        const ratio = quantile(times.ours, 0.5) / quantile(times.duck, 0.5);
        const line =
          `${unit.label.padEnd(7)} | ${c.name.padEnd(40)} | ${ms(quantile(times.ours, 0.5))} ${ms(quantile(times.ours, 0.95))} | ` +
          `${ms(quantile(times.duck, 0.5))} ${ms(quantile(times.duck, 0.95))} | ${ratio.toFixed(2).padStart(6)}×`;
        lines.push(line);
        console.log(line);
      }
    }
    console.log(
      `\nunit    | question${' '.repeat(33)}| ours ms: median p95 | DuckDB ms: median p95 | ours/DuckDB\n${'-'.repeat(110)}\n${lines.join('\n')}`,
    );
    console.log(
      `\n${runs} runs each after one checked run, ours and DuckDB alternating; ratio = our median / DuckDB's (below 1: faster).`,
    );
    duck.closeSync();
  } finally {
    await db.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    if (values.keep) console.log(`kept database ${database.name}`);
    else await database.drop();
  }
}

await main();
