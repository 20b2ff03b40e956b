import { readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openEmbedded, openPostgres } from '../src/db/database.ts';
import { readMigrations } from '../src/db/migrator.ts';
import { EventsDocument } from '../src/sdk/index.ts';
import { createEmptyPostgresDatabase, createServerStorage, engine } from './helpers/db.ts';
import { keyHeaders, postGraphQL } from './helpers/http.ts';
import { runCli, startServer } from './helpers/process.ts';

// The real command, as users run it: child processes, real HTTP.
describe(`groupgraph command on ${engine}`, () => {
  let env: Record<string, string | undefined>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const storage = await createServerStorage();
    env = storage.env;
    cleanup = storage.dispose;
  });
  afterAll(() => cleanup());

  function track(url: string, key: { clientId: string; clientSecret: string }, group: string) {
    return postGraphQL<{ track: { event: { id: string } } }>(
      `${url}/graphql`,
      'mutation($group: ID!) { track(input: { name: "cli_check", groups: [$group] }) { event { id } } }',
      { group },
      key,
    );
  }

  it('serve migrates an empty database, then keys create makes a key that works for track; SIGTERM stops cleanly', async () => {
    const server = await startServer(env);
    try {
      expect(server.output()).toContain('Applied migrations: ');
      if (engine === 'pglite') {
        // A fresh embedded database gets a default project and a root key. Its
        // secret is printed only to a terminal; piped output names the file.
        const file = path.join(env.DATA_DIR!, 'default-root-key.json');
        expect(server.output()).toContain(file);
        const { clientId, clientSecret } = JSON.parse(readFileSync(file, 'utf8'));
        expect(server.output()).not.toContain(clientSecret);
        expect((await track(server.url, { clientId, clientSecret }, 'org_default')).status).toBe(200);
      }
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);

      // On the embedded database the running server answers the command through its admin socket.
      const created = await runCli(
        ['keys', 'create', '--project', 'p', '--mode', 'write', '--json', '--create-project'],
        env,
      );
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const key = JSON.parse(created.stdout);
      expect(Object.keys(key).sort()).toEqual(['clientId', 'clientSecret', 'mode', 'projectId']);
      expect(key).toMatchObject({ projectId: 'p', mode: 'write' });

      const tracked = await track(server.url, key, 'org_acme');
      expect(tracked.status).toBe(200);
      expect(tracked.errors, JSON.stringify(tracked.errors)).toBeUndefined();
      // A write key reads nothing back; a read key of the same project sees the event.
      const reader = JSON.parse(
        (await runCli(['keys', 'create', '--project', 'p', '--mode', 'read', '--json', '--create-project'], env))
          .stdout,
      );
      const read = await postGraphQL(`${server.url}/graphql`, EventsDocument, {}, reader);
      expect(read.data!.events.edges.map((e) => [e.node.id, e.node.groupIds])).toEqual([
        [tracked.data!.track.event.id, ['org_acme']],
      ]);

      const listed = await runCli(['keys', 'list', '--project', 'p', '--json'], env);
      expect(JSON.parse(listed.stdout).map((k: { clientId: string }) => k.clientId)).toEqual([
        key.clientId,
        reader.clientId,
      ]);
      expect(listed.stdout).not.toContain(key.clientSecret);

      // Browser origins for the project, through the same path as keys.
      const added = await runCli(
        ['origins', 'add', '--project', 'p', 'https://App.example.com/', 'http://localhost:3000'],
        env,
      );
      expect(added.stderr).toBe('');
      expect(added.stdout.trim().split('\n')).toEqual(['https://app.example.com', 'http://localhost:3000']);
      const fromBrowser = await fetch(`${server.url}/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'openpanel-client-id': key.clientId,
          origin: 'https://app.example.com',
        },
        body: JSON.stringify({ type: 'track', payload: { name: 'from_browser' } }),
      });
      expect(fromBrowser.status).toBe(200);
      await runCli(['origins', 'remove', '--project', 'p', 'http://localhost:3000'], env);
      const origins = await runCli(['origins', 'list', '--project', 'p', '--json'], env);
      expect(JSON.parse(origins.stdout)).toEqual(['https://app.example.com']);
      const bad = await runCli(['origins', 'add', '--project', 'p', 'https://app.example.com/login'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/must be an origin/);

      const revoked = await runCli(['keys', 'revoke', key.clientId], env);
      expect(revoked.code).toBe(0);
      expect((await track(server.url, key, 'org_acme')).status).toBe(401);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.output()).toContain('stopped');
  });

  it('SIGTERM lets an in-flight request finish before the server exits', async () => {
    const server = await startServer(env);
    let exited: Promise<number | null> | undefined;
    try {
      const key = JSON.parse(
        (await runCli(['keys', 'create', '--project', 'p', '--mode', 'write', '--json', '--create-project'], env))
          .stdout,
      );
      const ids = ['inflight-1', 'inflight-2', 'inflight-3'];
      const body = new TextEncoder().encode(
        JSON.stringify({
          query: 'mutation($e: [TrackInput!]!) { trackBatch(events: $e) { accepted duplicates } }',
          variables: { e: ids.map((id) => ({ id, name: 'during_shutdown' })) },
        }),
      );
      let push!: ReadableStreamDefaultController<Uint8Array>;
      const stream = new ReadableStream<Uint8Array>({ start: (controller) => void (push = controller) });
      const response = fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...keyHeaders(key) },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      // Half the body is on the wire when the signal arrives; the rest follows.
      push.enqueue(body.slice(0, 40));
      await new Promise((r) => setTimeout(r, 300));
      exited = server.stop('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      push.enqueue(body.slice(40));
      push.close();
      const answer = await response;
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as any).data.trackBatch).toEqual({ accepted: 3, duplicates: 0 });
      expect(await exited).toBe(0);
      expect(server.output()).toContain('stopped');
    } finally {
      if (!exited) await server.stop();
    }
  });

  it('a second start applies no migration', async () => {
    const server = await startServer(env);
    try {
      expect(server.output()).not.toContain('Applied migrations');
    } finally {
      await server.stop();
    }
  });

  if (engine === 'pglite') {
    it('a second process on the same embedded data gets a clear error', async () => {
      const server = await startServer(env);
      try {
        const second = await runCli(['migrate'], env);
        expect(second.code).toBe(1);
        expect(second.stderr).toMatch(/in use by another groupgraph process \(pid \d+\)/);
      } finally {
        await server.stop();
      }
    });
  }

  if (engine === 'postgres') {
    it('two servers started at once on an empty database both come up, each migration applied once', async () => {
      const empty = await createEmptyPostgresDatabase();
      const both = { DATABASE_URL: empty.url, DATA_DIR: undefined };
      const servers = await Promise.all([startServer(both), startServer(both)]);
      try {
        for (const server of servers) expect((await fetch(`${server.url}/health`)).status).toBe(200);
        const db = openPostgres(empty.url, { poolSize: 1 });
        const rows = await db.prisma.$queryRawUnsafe<{ migration_name: string; n: number }[]>(
          'SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name',
        );
        await db.close();
        expect(rows.map((r) => r.migration_name).sort()).toEqual((await readMigrations()).map((m) => m.name).sort());
        expect(rows.every((r) => r.n === 1)).toBe(true);
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
        await empty.drop();
      }
    });
  }

  it('an applied migration whose file changed stops start-up with a message naming it', async () => {
    const [first] = await readMigrations();
    const db = env.DATABASE_URL ? openPostgres(env.DATABASE_URL, { poolSize: 1 }) : await openEmbedded(env.DATA_DIR!);
    // As if migration.sql had been edited after it was applied.
    await db.prisma.$executeRawUnsafe(
      `UPDATE "_prisma_migrations" SET checksum = 'edited' WHERE migration_name = $1`,
      first!.name,
    );
    await db.close();
    try {
      const start = await runCli(['serve'], { ...env, PORT: '0' });
      expect(start.code).toBe(1);
      expect(start.stderr).toContain(`Migration ${first!.name} was changed after it was applied`);
    } finally {
      const again = env.DATABASE_URL
        ? openPostgres(env.DATABASE_URL, { poolSize: 1 })
        : await openEmbedded(env.DATA_DIR!);
      await again.prisma.$executeRawUnsafe(
        `UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2`,
        first!.checksum,
        first!.name,
      );
      await again.close();
    }
  });

  it('seed --demo loads the demo once: argument mistakes are usage errors, a second load is refused', async () => {
    const withoutDemo = await runCli(['seed'], env);
    expect(withoutDemo.code).toBe(2);
    expect(withoutDemo.stderr).toContain('seed only makes demo data so far');
    expect(withoutDemo.stderr).toContain('Usage:');
    const badCount = await runCli(['seed', '--demo', '--events', '0'], env);
    expect(badCount.code).toBe(2);
    expect(badCount.stderr).toContain('--events must be an integer between 1 and 50000000');
    const unknown = await runCli(['seed', '--demo', '--colour', 'blue'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--colour'");

    const args = ['seed', '--demo', '--events', '500', '--days', '7', '--project', 'demo'];
    const seeded = await runCli(args, env);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/Done: 12 companies, \d+ teams, \d+ users, \d+ memberships, 500 events\./);
    const again = await runCli(args, env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('project "demo" already has demo data (org_acme_inc); use another project');
    expect(again.stderr).not.toContain('Usage:');
  });

  it('keys create refuses a bad mode with a usage error', async () => {
    const result = await runCli(['keys', 'create', '--project', 'p', '--mode', 'admin'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--mode write|read|root');
  });
});
