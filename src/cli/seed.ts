import { parseArgs } from 'node:util';

import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { DataDirLockedError } from '../db/dataDirLock.ts';
import { seedDemo } from './demo/insert.ts';
import { CommandError, UsageError } from './errors.ts';

export const SEED_USAGE = 'groupgraph seed --demo [--events <n>] [--project <id>] [--days <n>] [--seed <n>]';

function positiveInteger(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} must be an integer between 1 and ${max}`);
  return n;
}

/** One line on stderr, rewritten in place on a terminal; every 10 % otherwise (logs stay readable). */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): (done: number, total: number) => void {
  const started = Date.now();
  let lastDecile = -1;
  return (done, total) => {
    const share = total === 0 ? 1 : done / total;
    const rate = done / Math.max((Date.now() - started) / 1000, 0.001);
    const width = 30;
    const filled = Math.round(share * width);
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${done.toLocaleString('en')}/${total.toLocaleString('en')}  ${Math.round(rate).toLocaleString('en')}/s`;
    if (stream.isTTY) {
      stream.write(`\r${line}`);
      if (done >= total) stream.write('\n');
    } else if (Math.floor(share * 10) > lastDecile) {
      lastDecile = Math.floor(share * 10);
      stream.write(`${line}\n`);
    }
  };
}

/** `groupgraph seed --demo`: realistic demo data in one project of the configured database. */
export async function seed(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      demo: { type: 'boolean', default: false },
      events: { type: 'string' },
      project: { type: 'string', default: 'default' },
      days: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (!values.demo) throw new UsageError(`seed only makes demo data so far: ${SEED_USAGE}`);
  const events = positiveInteger(values.events, '--events', 100_000, 50_000_000);
  const days = positiveInteger(values.days, '--days', 90, 3650);
  const seedNumber = positiveInteger(values.seed, '--seed', 1, 2 ** 31);
  const config = loadConfig();
  const database = await openDatabase(config).catch((error: unknown) => {
    if (error instanceof DataDirLockedError) {
      throw new CommandError(`${error.message} Stop the server, seed, then start it again.`);
    }
    throw error;
  });
  try {
    await database.migrate();
    console.log(
      `Seeding project "${values.project}" on ${database.kind} with ${events.toLocaleString('en')} demo events over ${days} days…`,
    );
    const summary = await seedDemo(database.prisma, values.project, {
      events,
      days,
      seed: seedNumber,
      onProgress: progressBar('events'),
    });
    console.log(
      `Done: ${summary.companies} companies, ${summary.teams} teams, ${summary.users} users, ` +
        `${summary.memberships} memberships, ${summary.events.toLocaleString('en')} events.`,
    );
    const keys = await database.prisma.apiClient.count({ where: { projectId: values.project, revokedAt: null } });
    if (keys === 0) {
      console.log(
        `Project "${values.project}" has no key yet: npx groupgraph keys create --project ${values.project} --mode root`,
      );
    }
  } finally {
    await database.close();
  }
}
