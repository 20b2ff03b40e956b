import { parseArgs } from 'node:util';

import { loadConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/database.ts';
import { DataDirLockedError } from '../db/dataDirLock.ts';
import { BackfillService } from '../services/backfill.ts';
import { ConsistencyService } from '../services/consistency.ts';
import { CommandError, UsageError } from './errors.ts';
import { progressBar } from './seed.ts';

// Operator commands over one project's stored events: `groupgraph check`
// (derived rows against a recomputation from the raw events) and
// `groupgraph backfill` (tag members' past events with a group, for histories
// too long for one GraphQL request).

export const CHECK_USAGE = 'groupgraph check [--project <id>] [--json]';
export const BACKFILL_USAGE =
  'groupgraph backfill --group <id> [--profile <id>]... [--from <time>] [--to <time>] [--project <id>] [--chunk <n>]';

async function withDatabase<T>(what: string, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(loadConfig()).catch((error: unknown) => {
    if (error instanceof DataDirLockedError) {
      throw new CommandError(`${error.message} Stop the server, ${what}, then start it again.`);
    }
    throw error;
  });
  try {
    await database.migrate();
    return await work(database);
  } finally {
    await database.close();
  }
}

/** `groupgraph check`: exit code 1 when any derived table differs from the events. */
export async function check(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { project: { type: 'string', default: 'default' }, json: { type: 'boolean', default: false } },
  });
  const report = await withDatabase('check', (db) => new ConsistencyService(db.prisma).check(values.project));
  if (values.json) console.log(JSON.stringify(report));
  else {
    console.log(`Project "${report.projectId}": ${report.events.toLocaleString('en')} events.`);
    for (const t of report.tables) {
      const state =
        t.missing + t.extra + t.wrong === 0 ? 'ok' : `${t.missing} missing, ${t.extra} extra, ${t.wrong} wrong`;
      console.log(`  ${t.table.padEnd(20)} ${state}`);
      for (const example of t.examples) console.log(`    ${JSON.stringify(example)}`);
    }
    console.log(report.consistent ? 'Consistent.' : 'Differences found.');
  }
  if (!report.consistent) process.exitCode = 1;
}

function time(value: string | undefined, flag: string): Date | null {
  if (value === undefined) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} must be an ISO-8601 time`);
  return date;
}

/** `groupgraph backfill`: what backfillGroups does, with a progress bar. */
export async function backfill(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: 'string', default: 'default' },
      group: { type: 'string' },
      profile: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      chunk: { type: 'string' },
    },
  });
  if (!values.group) throw new UsageError(`backfill needs --group <id>: ${BACKFILL_USAGE}`);
  const chunkSize = values.chunk === undefined ? undefined : Number(values.chunk);
  const input = {
    groupId: values.group,
    profileIds: values.profile ?? null,
    from: time(values.from, '--from'),
    to: time(values.to, '--to'),
  };
  await withDatabase('backfill', async (db) => {
    const service = new BackfillService(db.prisma);
    const total = await service.pending(values.project, input);
    console.log(
      `Tagging ${total.toLocaleString('en')} events of project "${values.project}" with group "${input.groupId}"…`,
    );
    const progress = progressBar('events');
    progress(0, total);
    const result = await service.backfill(values.project, input, {
      chunkSize,
      onChunk: (done) => progress(Math.min(done, total), total),
    });
    progress(total, total);
    console.log(`Done: ${result.taggedEvents.toLocaleString('en')} events of ${result.profiles} profiles tagged.`);
  });
}
