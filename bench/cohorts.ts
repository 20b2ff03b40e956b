// npm run bench:cohorts -- [--companies 10000] [--events 500000] [--runs 21] [--keep]
//
// Cohort evaluation against the same rules written by hand in SQL. Loads
// --companies companies (plans free/pro/enterprise), three profiles per company
// on average with their memberships (a fifth of them ended), and --events
// events over 60 days (a tenth of them report_exported) on PostgreSQL, all
// seeded, then evaluates the cohort
// "pro companies that exported reports at least twice in the last 30 days and
// have at least three current members" — a property rule, a performed rule with
// a minimum count and a member-count rule — through CohortService.size, and the
// same question as one hand-written query. Both answers are compared before
// anything is timed; rounds alternate between the two so other load on the
// machine falls on both alike. Target: our median under the hand-written
// median + 50 %.
//
// Needs a PostgreSQL server: BENCH_DATABASE_URL, else DATABASE_URL, else
// postgresql://postgres@127.0.0.1:5432/postgres, used as the admin connection to
// create (and afterwards drop) one database groupgraph_bench_<random>.
import { parseArgs } from 'node:util';

import { pick, seededRandom } from '../src/cli/demo/random.ts';
import { progressBar } from '../src/cli/seed.ts';
import { openPostgres } from '../src/db/database.ts';
import { bulkImport } from '../src/services/bulkImport.ts';
import { insertEvents, type EventRow } from '../src/services/ingest.ts';
import type { CohortInput } from '../src/services/cohorts/definition.ts';
import { CohortService } from '../src/services/cohorts/service.ts';
import { DAY_MS } from '../src/time.ts';
import { benchServerUrl, createScratchDatabase } from '../test/helpers/db.ts';

const PROJECT = 'bench';

const { values } = parseArgs({
  options: {
    companies: { type: 'string', default: '10000' },
    events: { type: 'string', default: '500000' },
    runs: { type: 'string', default: '21' },
    keep: { type: 'boolean', default: false },
  },
});
const companies = Number(values.companies.replace(/_/g, ''));
const events = Number(values.events.replace(/_/g, ''));
const runs = Number(values.runs);
if (!Number.isInteger(companies) || companies < 10) throw new Error('--companies must be an integer ≥ 10');
if (!Number.isInteger(events) || events < 1000) throw new Error('--events must be an integer ≥ 1000');

const COHORT: CohortInput = {
  name: 'pro companies exporting, with a team',
  unit: 'GROUP',
  groupType: 'company',
  rules: [
    { property: { key: 'plan', op: 'EQ', value: 'pro' } },
    { performed: { eventName: 'report_exported', lastDays: 30, minCount: 2 } },
    { memberCount: { min: 3 } },
  ],
};

/** The same three rules as a person would write them, one query. */
const HAND_WRITTEN = `
  WITH exports AS (
    SELECT g AS "groupId", count(*) AS n
    FROM "Event" e CROSS JOIN LATERAL unnest(e."groupIds") g
    WHERE e."projectId" = $1 AND e."name" = 'report_exported' AND e."createdAt" >= $2
    GROUP BY g
  ), members AS (
    SELECT "groupId", count(*) AS n FROM "GroupMembership"
    WHERE "projectId" = $1 AND "leftAt" IS NULL GROUP BY "groupId"
  )
  SELECT count(*)::int AS n
  FROM "Group" c JOIN exports x ON x."groupId" = c."id" JOIN members m ON m."groupId" = c."id"
  WHERE c."projectId" = $1 AND c."type" = 'company' AND c."properties" ->> 'plan' = 'pro'
    AND x.n >= 2 AND m.n >= 3`;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1)).padStart(7);

async function main() {
  const scratch = await createScratchDatabase(benchServerUrl(), { prefix: 'groupgraph_bench' });
  // Loading and VACUUM ANALYZE of millions of rows outlast the server's default
  // statement timeout; the bench sets its own.
  const db = openPostgres(scratch.url, { poolSize: 2, statementTimeoutMs: 3_600_000 });
  try {
    await db.migrate();
    const prisma = db.prisma;
    const random = seededRandom(15);
    const now = Date.now();
    const companyIds = Array.from({ length: companies }, (_, i) => `company_${i}`);
    const profileIds = Array.from({ length: companies * 3 }, (_, i) => `user_${i}`);
    let started = performance.now();
    await bulkImport(prisma, PROJECT, {
      groups: companyIds.map((id, i) => ({
        id,
        type: 'company',
        name: `Company ${i}`,
        properties: { plan: pick(random, ['free', 'free', 'pro', 'enterprise']), seats: Math.floor(random() * 200) },
        createdAt: new Date(now - 90 * DAY_MS),
      })),
      profiles: profileIds.map((id) => ({
        id,
        firstName: null,
        lastName: null,
        email: null,
        properties: {},
        createdAt: new Date(now - 90 * DAY_MS),
      })),
      // Each profile in one company; a fifth of the memberships have ended.
      memberships: profileIds.map((profileId) => ({
        profileId,
        groupId: pick(random, companyIds),
        joinedAt: new Date(now - 80 * DAY_MS),
        leftAt: random() < 0.2 ? new Date(now - 10 * DAY_MS) : null,
      })),
    });
    await prisma.$executeRawUnsafe('ANALYZE');
    console.log(
      `loaded ${companies} companies, ${profileIds.length} profiles in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    started = performance.now();
    const onProgress = progressBar('events');
    for (let done = 0; done < events;) {
      const batch: EventRow[] = [];
      for (; batch.length < 2_000 && done < events; done++) {
        const company = pick(random, companyIds);
        batch.push({
          id: `e${done}`,
          name: random() < 0.1 ? 'report_exported' : pick(random, ['page_view', 'feature_used', 'report_viewed']),
          profileId: pick(random, profileIds),
          deviceId: null,
          sessionId: null,
          groups: [company],
          properties: {},
          createdAt: new Date(now - random() * 60 * DAY_MS).toISOString(),
          inherit: false,
        });
      }
      await insertEvents(prisma, PROJECT, batch);
      onProgress(done, events);
    }
    console.log(`loaded ${events} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await prisma.$executeRawUnsafe('VACUUM ANALYZE');

    const cohorts = new CohortService(prisma);
    const cohort = await cohorts.create(PROJECT, COHORT);
    const ours = async () => cohorts.size(cohort);
    // The hand-written query gets the same 30-day window, from the same instant.
    const hand = async () => {
      const since = new Date(Date.now() - 30 * DAY_MS);
      const [row] = await prisma.$queryRawUnsafe<{ n: number }[]>(HAND_WRITTEN, PROJECT, since);
      return row!.n;
    };
    const [a, b] = [await ours(), await hand()];
    if (a !== b) throw new Error(`answers differ: cohort ${a}, hand-written ${b}`);
    console.log(`both answers: ${a} of ${companies} companies`);

    const times = { ours: [] as number[], hand: [] as number[] };
    for (let i = 0; i < runs; i++) {
      for (const [side, run] of i % 2
        ? ([
            ['hand', hand],
            ['ours', ours],
          ] as const)
        : ([
            ['ours', ours],
            ['hand', hand],
          ] as const)) {
        const t0 = performance.now();
        await run();
        times[side].push(performance.now() - t0);
      }
    }
    const ourSorted = [...times.ours].sort((x, y) => x - y);
    const handSorted = [...times.hand].sort((x, y) => x - y);
    const ratio = quantile(ourSorted, 0.5) / quantile(handSorted, 0.5);
    console.log(
      `\n${'side'.padEnd(12)} | median ms |  p95 ms\n` +
        `${'cohort'.padEnd(12)} | ${ms(quantile(ourSorted, 0.5))}   | ${ms(quantile(ourSorted, 0.95))}\n` +
        `${'hand SQL'.padEnd(12)} | ${ms(quantile(handSorted, 0.5))}   | ${ms(quantile(handSorted, 0.95))}\n` +
        `\nratio cohort / hand-written (median): ${ratio.toFixed(2)} (target ≤ 1.50) over ${runs} alternating runs`,
    );
  } finally {
    await db.close();
    if (values.keep) console.log(`kept database ${scratch.name}`);
    else await scratch.drop();
  }
}

await main();
