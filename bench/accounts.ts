// npm run bench:accounts -- [--events 200000] [--companies 500] [--runs 9] [--chunk 10000] [--check] [--explain] [--keep]
//
// Group features over one data set on PostgreSQL, measured in the same run:
// - ingest: the events stored through trackBatch (batches of 1,000, no groups),
//   in events per second — the baseline;
// - backfill: every company's members' events tagged with the company through
//   backfillGroups, in events tagged per second (target: at least the ingest rate);
// - propertiesAt: the same daily GROUP_PROPERTY breakdown over 30 days with NOW
//   and with EVENT_TIME, median of --runs interleaved runs (target: EVENT_TIME ≤ 3× NOW).
// Each company gets 1–3 recorded plan changes at random times in the range
// (written to the history table directly: changes through the API all happen
// "now", which would leave the past with one period).
//
// --explain also prints PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of the first
// backfill chunk (run in a transaction that is rolled back, before the timed
// backfill) and of the NOW and EVENT_TIME statements.
//
// --keep leaves the scratch database in place and prints its URL (drop it yourself).
//
// Needs a PostgreSQL server: BENCH_DATABASE_URL, else DATABASE_URL, else
// postgresql://postgres@127.0.0.1:5432/postgres, used to create (and drop) one
// scratch database.
import { parseArgs } from 'node:util';

import { seededRandom } from '../src/cli/demo/random.ts';
import type { Prisma, PrismaClient } from '../src/generated/prisma/client.ts';
import { openPostgres } from '../src/db/database.ts';
import { validateQuestion, type AggregationInput } from '../src/services/analysis/question.ts';
import { aggregationSql } from '../src/services/analysis/sql.ts';
import { backfillChunkSql } from '../src/services/backfill.ts';
import { createServices } from '../src/services/index.ts';
import type { EventInput } from '../src/services/ingest.ts';
import { DAY_MS } from '../src/time.ts';
import { benchServerUrl, createScratchDatabase } from '../test/helpers/db.ts';

const PROJECT = 'bench';
const PLANS = ['free', 'starter', 'pro', 'enterprise'];

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    companies: { type: 'string', default: '500' },
    runs: { type: 'string', default: '9' },
    chunk: { type: 'string', default: '10000' },
    check: { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const total = Number(values.events.replace(/_/g, ''));
const companies = Number(values.companies);
const runs = Number(values.runs);
const chunkSize = Number(values.chunk);
const PROFILES_PER_COMPANY = 8;

/** EXPLAIN (ANALYZE, BUFFERS) of a statement, run in a transaction that is rolled back. */
async function explain(prisma: PrismaClient, title: string, sql: Prisma.Sql): Promise<void> {
  const rollback = new Error('rollback');
  try {
    await prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SET LOCAL jit = off`;
        const rows = await tx.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
          `EXPLAIN (ANALYZE, BUFFERS) ${sql.text}`,
          ...sql.values,
        );
        console.log(`\n${title}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
        throw rollback;
      },
      { timeout: 600_000 },
    );
  } catch (error) {
    if (error !== rollback) throw error;
  }
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
const perSecond = (n: number, ms: number) => Math.round(n / (ms / 1000));

async function main(): Promise<void> {
  const scratch = await createScratchDatabase(benchServerUrl(), { prefix: 'groupgraph_bench_accounts' });
  const db = openPostgres(scratch.url, { poolSize: 4 });
  try {
    await db.migrate();
    await db.prisma.project.create({ data: { id: PROJECT, inheritProfileGroups: false } });
    const services = createServices(db.prisma, { trackBatchMax: 1000 });
    const rng = seededRandom(7);
    const now = new Date();
    const start = now.getTime() - 60 * DAY_MS;
    const profiles = companies * PROFILES_PER_COMPANY;

    // Ingest (the baseline), events without groups.
    const ingestStarted = performance.now();
    for (let b = 0; b < total; b += 1000) {
      const batch: EventInput[] = Array.from({ length: Math.min(1000, total - b) }, (_, i) => ({
        id: `e${b + i}`,
        name: `event_${Math.floor(rng() * 12)}`,
        profileId: `u${Math.floor(rng() * profiles)}`,
        timestamp: new Date(start + Math.floor(rng() * 60 * DAY_MS)),
      }));
      await services.ingest.trackBatch(PROJECT, batch, now);
    }
    const ingestMs = performance.now() - ingestStarted;

    // Companies with a recorded plan history, and their members since before the data.
    const ids = Array.from({ length: companies }, (_, c) => `c${c}`);
    await db.prisma.group.createMany({
      data: ids.map((id) => ({ projectId: PROJECT, id, type: 'company', createdAt: new Date(start - DAY_MS) })),
    });
    const changes = [];
    for (const id of ids) {
      let previous: string | null = null;
      const times = Array.from(
        { length: 1 + Math.floor(rng() * 3) },
        () => start + Math.floor(rng() * 60 * DAY_MS),
      ).sort();
      for (const at of [start - DAY_MS, ...times]) {
        const plan = PLANS.filter((p) => p !== previous)[Math.floor(rng() * 3)]!;
        changes.push({
          projectId: PROJECT,
          groupId: id,
          key: 'plan',
          value: plan,
          previousValue: previous ?? undefined,
          changedAt: new Date(at),
        });
        previous = plan;
      }
      await db.prisma.group.update({
        where: { projectId_id: { projectId: PROJECT, id } },
        data: { properties: { plan: previous } },
      });
    }
    await db.prisma.groupPropertyChange.createMany({ data: changes });
    await db.prisma.groupMembership.createMany({
      data: Array.from({ length: profiles }, (_, u) => ({
        projectId: PROJECT,
        profileId: `u${u}`,
        groupId: `c${u % companies}`,
        joinedAt: new Date(start - DAY_MS),
      })),
    });

    if (values.explain)
      await explain(db.prisma, 'backfill, first chunk of c0', backfillChunkSql(PROJECT, { groupId: 'c0' }, chunkSize));

    // Backfill every company.
    const backfillStarted = performance.now();
    let tagged = 0;
    for (const id of ids)
      tagged += (await services.backfill.backfill(PROJECT, { groupId: id }, { chunkSize })).taggedEvents;
    const backfillMs = performance.now() - backfillStarted;
    if (values.check) {
      const report = await services.consistency.check(PROJECT);
      if (!report.consistent) throw new Error(`inconsistent after the backfill: ${JSON.stringify(report.tables)}`);
    }
    await db.prisma.$executeRawUnsafe('ANALYZE');

    // NOW vs EVENT_TIME, interleaved.
    const question = (propertiesAt: 'NOW' | 'EVENT_TIME'): AggregationInput => ({
      metric: 'EVENTS',
      from: new Date(now.getTime() - 30 * DAY_MS),
      to: now,
      interval: 'DAY',
      breakdown: 'GROUP_PROPERTY',
      breakdownProperty: 'plan',
      propertiesAt,
    });
    if (values.explain) {
      for (const at of ['NOW', 'EVENT_TIME'] as const) {
        const plan = await services.aggregation.plan(validateQuestion(question(at)));
        await explain(db.prisma, `${at} (storage: ${plan.storage.path})`, aggregationSql(PROJECT, plan));
      }
    }
    const timings: Record<'NOW' | 'EVENT_TIME', number[]> = { NOW: [], EVENT_TIME: [] };
    for (let r = -1; r < runs; r++) {
      for (const at of ['NOW', 'EVENT_TIME'] as const) {
        const started = performance.now();
        await services.aggregation.aggregate(PROJECT, question(at));
        if (r >= 0) timings[at].push(performance.now() - started); // run -1 warms up
      }
    }

    const ingestRate = perSecond(total, ingestMs);
    const backfillRate = perSecond(tagged, backfillMs);
    console.log(
      `events ${total.toLocaleString('en')}, companies ${companies}, profiles ${profiles}, history rows ${changes.length}`,
    );
    console.log(`ingest (trackBatch ×1000):  ${ingestRate.toLocaleString('en')} events/s`);
    console.log(
      `backfill (chunks of ${chunkSize}): ${backfillRate.toLocaleString('en')} events tagged/s (${tagged.toLocaleString('en')} events) — ${(backfillRate / ingestRate).toFixed(2)}× ingest`,
    );
    const nowMs = median(timings.NOW);
    const eventTimeMs = median(timings.EVENT_TIME);
    console.log(
      `GROUP_PROPERTY breakdown, 30 days daily, median of ${runs}: NOW ${nowMs.toFixed(1)} ms, EVENT_TIME ${eventTimeMs.toFixed(1)} ms — ${(eventTimeMs / nowMs).toFixed(2)}×`,
    );
  } finally {
    await db.close();
    if (values.keep) console.log(`kept: ${scratch.url}`);
    else await scratch.drop();
  }
}

await main();
