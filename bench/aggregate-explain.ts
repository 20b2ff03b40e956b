// npm run bench:aggregate:explain -- --database <url> [--question a|b|c|d]
//
// Where the time of bench:aggregate's questions goes: prints PostgreSQL's
// EXPLAIN (ANALYZE, BUFFERS) of the one statement eventAggregation runs for
// each question, against a database the benchmark kept (bench:aggregate --keep
// prints their names; the URL is the server's with that database name).
import { parseArgs } from 'node:util';

import { openPostgres } from '../src/db/database.ts';
import { validateQuestion, type AggregationInput } from '../src/services/analysis/question.ts';
import { AggregationService } from '../src/services/analysis/service.ts';
import { aggregationSql } from '../src/services/analysis/sql.ts';
import { DAY_MS } from '../src/time.ts';

const PROJECT = 'bench';

const { values } = parseArgs({
  options: {
    database: { type: 'string' },
    question: { type: 'string' },
  },
});
if (!values.database) throw new Error('--database <url> is required');

const db = openPostgres(values.database, { poolSize: 1 });
try {
  const service = new AggregationService(db.prisma);
  const now = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
  const since = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const [busiest] = await db.prisma.$queryRaw<{ id: string }[]>`
    SELECT eg."groupId" AS "id" FROM "EventGroup" eg JOIN "Group" g ON g."projectId" = eg."projectId" AND g."id" = eg."groupId"
    WHERE eg."projectId" = ${PROJECT} AND g."type" = 'company' AND eg."createdAt" >= ${since(30)}
    GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`;
  const questions: Record<string, AggregationInput> = {
    a: { metric: 'EVENTS', from: since(30), to: now, interval: 'DAY', breakdown: 'GROUP', limit: 10 },
    b: { metric: 'UNIQUE_PROFILES', from: since(30), to: now, interval: 'DAY', filter: { groupIds: [busiest!.id] } },
    c: { metric: 'UNIQUE_GROUPS', from: since(90), to: now, interval: 'DAY', filter: { groupType: 'company' } },
    d: {
      metric: 'EVENTS',
      from: since(30),
      to: now,
      interval: 'DAY',
      breakdown: 'GROUP_PROPERTY',
      breakdownProperty: 'plan',
      limit: 20,
    },
  };
  for (const [name, input] of Object.entries(questions)) {
    if (values.question && values.question !== name) continue;
    const plan = await service.plan(validateQuestion(input));
    const sql = aggregationSql(PROJECT, plan);
    const [, rows] = await db.prisma.$transaction([
      db.prisma.$executeRaw`SET LOCAL jit = off`,
      db.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN (ANALYZE, BUFFERS) ${sql.text}`, ...sql.values),
    ]);
    console.log(`\n(${name}) ${JSON.stringify(input)}\nstorage: ${plan.storage.path}\n`);
    console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
  }
} finally {
  await db.close();
}
