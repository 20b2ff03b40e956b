import { spawn } from 'node:child_process';

import { afterAll, describe, expect, it } from 'vitest';

import { openDatabase, type Database } from '../src/db/database.ts';
import { BACKFILL_CHUNK_MAX } from '../src/services/backfill.ts';
import { createServices } from '../src/services/index.ts';
import { DAY_MS } from '../src/time.ts';
import { createServerStorage, engine, type ServerStorage } from './helpers/db.ts';
import { CLI, runCli } from './helpers/process.ts';

// `groupgraph backfill` killed with SIGKILL in the middle of a 100,000-event
// backfill: every chunk is whole (the tagged count is a multiple of the chunk
// size), `groupgraph check` finds no difference, and running the backfill again
// tags exactly the rest.
//
// On the embedded database the same test runs over 40,000 events (four chunks):
// PostgreSQL in WebAssembly on one core needs several minutes for 100,000, and
// what the test proves (whole chunks after a kill, a repeat that finishes) does
// not depend on how many chunks come after the kill.

const EVENTS = engine === 'postgres' ? 100_000 : 40_000;
const PROFILES = 20;
const PROJECT = 'backfill';

describe('SIGKILL during a backfill', () => {
  let storage: ServerStorage;
  const open = (): Promise<Database> =>
    openDatabase({ databaseUrl: storage.env.DATABASE_URL, dataDir: storage.env.DATA_DIR!, databasePoolSize: 2 });
  afterAll(async () => storage?.dispose());

  it('leaves whole chunks only; check finds nothing; repeating finishes the work', { timeout: 1_500_000 }, async () => {
    storage = await createServerStorage();
    const env = { ...storage.env, NODE_ENV: 'test' };
    const now = new Date();
    let db = await open();
    await db.migrate();
    await db.prisma.project.create({ data: { id: PROJECT } });
    const services = createServices(db.prisma, { trackBatchMax: 1000 });
    for (let b = 0; b < EVENTS / 1000; b++) {
      const batch = Array.from({ length: 1000 }, (_, i) => {
        const n = b * 1000 + i;
        return {
          id: `e${n}`,
          name: `n${n % 4}`,
          profileId: `u${n % PROFILES}`,
          groups: n % 3 ? [] : ['other'],
          timestamp: new Date(now.getTime() - (n % 500) * 1.4 * 3_600_000),
        };
      });
      await services.ingest.trackBatch(PROJECT, batch, now);
    }
    await db.prisma.group.create({ data: { projectId: PROJECT, id: 'acme' } });
    await db.prisma.groupMembership.createMany({
      data: Array.from({ length: PROFILES }, (_, u) => ({
        projectId: PROJECT,
        profileId: `u${u}`,
        groupId: 'acme',
        joinedAt: new Date(now.getTime() - 60 * DAY_MS),
      })),
    });
    await db.close(); // the embedded database takes one process at a time

    // Killed once the progress bar shows the first chunks committed.
    const child = spawn(process.execPath, [CLI, 'backfill', '--project', PROJECT, '--group', 'acme'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const onData = (data: Buffer) => {
      output += data;
      if (/\] +[1-9]\d?% /.test(output)) child.kill('SIGKILL');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    expect(await exited, output).toBe('SIGKILL');
    expect(output).toContain(`Tagging ${EVENTS.toLocaleString('en')} events`);

    db = await open();
    let tagged: number;
    try {
      // A chunk whose COMMIT was already sent still completes on the server after
      // the client dies: count only once the killed client's session is gone.
      if (env.DATABASE_URL) {
        for (let i = 0; i < 300; i++) {
          const [row] = await db.prisma.$queryRawUnsafe<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
          );
          if (row!.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      tagged = await db.prisma.event.count({ where: { projectId: PROJECT, groupIds: { has: 'acme' } } });
    } finally {
      await db.close();
    }
    expect(tagged).toBeGreaterThan(0);
    expect(tagged).toBeLessThan(EVENTS);
    expect(tagged % BACKFILL_CHUNK_MAX).toBe(0);

    const checked = await runCli(['check', '--project', PROJECT, '--json'], env);
    expect(checked.code, checked.stderr).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ consistent: true, events: EVENTS });

    const again = await runCli(['backfill', '--project', PROJECT, '--group', 'acme'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Done: ${(EVENTS - tagged).toLocaleString('en')} events`);
    const repeat = await runCli(['backfill', '--project', PROJECT, '--group', 'acme'], env);
    expect(repeat.stdout).toContain('Done: 0 events of 0 profiles tagged.');

    // Every event tagged once; the check passes, and fails (exit code 1) once a rollup row is off.
    db = await open();
    try {
      expect(await db.prisma.event.count({ where: { projectId: PROJECT, groupIds: { has: 'acme' } } })).toBe(EVENTS);
    } finally {
      await db.close();
    }
    expect((await runCli(['check', '--project', PROJECT], env)).code).toBe(0);
    db = await open();
    await db.prisma.rollupHour.deleteMany({ where: { projectId: PROJECT, events: { gt: 0 } } });
    await db.close();
    const broken = await runCli(['check', '--project', PROJECT], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('Differences found.');
  });
});
