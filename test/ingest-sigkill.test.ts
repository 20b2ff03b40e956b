import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { openDatabase, openPostgres } from '../src/db/database.ts';
import { ConsistencyService } from '../src/services/consistency.ts';
import { KeyService } from '../src/services/keys.ts';
import { createServerStorage } from './helpers/db.ts';
import { postGraphQL } from './helpers/http.ts';
import { startServer, type ServerProcess } from './helpers/process.ts';

// A server killed with SIGKILL under load loses no event it acknowledged: a
// response is sent only after the commit. Checked through a restarted server,
// which must also recover on its own (PGlite: from the files the killed process left),
// and by the consistency checker: every rollup, index and activity row still
// equals a recomputation from the stored events.

const BATCH = `mutation($events: [TrackInput!]!) { trackBatch(events: $events) { accepted duplicates items { id status } } }`;
const CLIENTS = 4;
const BATCH_SIZE = 100;
/** Acknowledged batches to wait for before the kill. */
const KILL_AFTER = 12;

interface Credentials {
  clientId: string;
  clientSecret: string;
}

interface BenchEvent {
  id: string;
  name: string;
  profileId?: string;
  groups?: string[];
  timestamp: string;
}

async function sendBatch(url: string, key: Credentials, events: BenchEvent[]) {
  const result = await postGraphQL<{
    trackBatch: { accepted: number; duplicates: number; items: { id: string; status: string }[] };
  }>(`${url}/graphql`, BATCH, { events }, key);
  if (result.status !== 200 || result.errors) throw new Error(`${result.status} ${JSON.stringify(result.errors)}`);
  return result.data!.trackBatch;
}

describe('SIGKILL mid-load', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('every acknowledged event is stored; the restarted server has them all', async () => {
    const storage = await createServerStorage();
    cleanup.push(storage.dispose);
    const env = { ...storage.env, RATE_LIMIT_PER_SECOND: '0' };
    let key: Credentials | undefined;
    if (storage.env.DATABASE_URL) {
      const db = openPostgres(storage.env.DATABASE_URL, { poolSize: 1 });
      await db.migrate();
      key = await new KeyService(db.prisma).create('sigkill', 'write');
      await db.close();
    }

    let server: ServerProcess = await startServer(env);
    cleanup.push(() => void server.stop('SIGKILL'));
    // On a fresh embedded database the server makes the first key itself.
    key ??= JSON.parse(readFileSync(path.join(env.DATA_DIR!, 'default-root-key.json'), 'utf8')) as Credentials;

    const sent: BenchEvent[][] = [];
    const started = Date.now();
    const acknowledged: string[] = [];
    let acknowledgedBatches = 0;
    let failed = 0;
    let killed: Promise<number | null> | undefined;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let n = 0; !killed; n++) {
          const events = Array.from({ length: BATCH_SIZE }, (_, i) => ({
            id: `c${client}_b${n}_e${i}`,
            name: `load${i % 3}`,
            // Profiles, groups and hours vary, so every derived table gets rows to check.
            ...(i % 4 ? { profileId: `u${(n + i) % 9}` } : {}),
            groups: [`g${i % 5}`, ...(i % 3 ? [`t${client}`] : [])].slice(0, 1 + (i % 2)),
            timestamp: new Date(started - ((n * BATCH_SIZE + i) % 50) * 3_600_000).toISOString(),
          }));
          sent.push(events);
          try {
            const result = await sendBatch(server.url, key!, events);
            for (const item of result.items) if (item.status !== 'REJECTED') acknowledged.push(item.id);
            if (++acknowledgedBatches === KILL_AFTER) killed = server.stop('SIGKILL');
          } catch {
            failed++; // in flight when the server died: not acknowledged
            return;
          }
        }
      }),
    );
    expect(await killed).toBeNull(); // killed by the signal, no exit code
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER * BATCH_SIZE);
    // The other clients had requests in flight at the kill.
    expect(failed).toBeGreaterThan(0);

    server = await startServer(env);
    // Re-sending what was acknowledged stores nothing new: all of it is there.
    const ackedIds = new Set(acknowledged);
    const ackedBatches = sent.filter((events) => events.every((e) => ackedIds.has(e.id)));
    expect(ackedBatches.length).toBeGreaterThanOrEqual(KILL_AFTER);
    for (const events of ackedBatches) {
      expect(await sendBatch(server.url, key, events)).toMatchObject({ accepted: 0, duplicates: events.length });
    }
    // Batches that were in flight are completed by their retry, each event once.
    for (const events of sent.filter((batch) => !ackedBatches.includes(batch))) {
      const retry = await sendBatch(server.url, key, events);
      expect(retry.accepted + retry.duplicates).toBe(events.length);
    }
    expect(await server.stop('SIGTERM')).toBe(0);

    const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR!, databasePoolSize: 1 });
    try {
      const projectId = (await db.prisma.event.findFirstOrThrow({ select: { projectId: true } })).projectId;
      const report = await new ConsistencyService(db.prisma).check(projectId);
      expect(report.events).toBe(new Set(sent.flat().map((e) => e.id)).size);
      expect(report.tables.filter((t) => t.missing + t.extra + t.wrong > 0)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
