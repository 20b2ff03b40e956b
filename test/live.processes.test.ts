import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CreatedKey } from '../src/services/keys.ts';
import { createEmptyPostgresDatabase, engine, type ScratchDatabase } from './helpers/db.ts';
import { postGraphQL } from './helpers/http.ts';
import { runCli, startServer, type ServerProcess } from './helpers/process.ts';
import { subscribe, type Subscription } from './helpers/sse.ts';
import { startTcpProxy, type TcpProxy } from './helpers/tcpProxy.ts';

// Two server processes on one PostgreSQL database: a subscriber on one hears
// what the other stores. The subscriber reaches the database through a TCP
// proxy, so the test can cut its connections and see its listener come back.
// (PGlite serves one process; its in-process delivery is test/live.test.ts.)
describe.skipIf(engine !== 'postgres')('live events across server processes', () => {
  let database: ScratchDatabase;
  let proxy: TcpProxy;
  let writer: ServerProcess;
  let listener: ServerProcess;
  let key: CreatedKey;

  beforeAll(async () => {
    database = await createEmptyPostgresDatabase();
    writer = await startServer({ DATABASE_URL: database.url, DATA_DIR: undefined });
    const target = new URL(database.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    listener = await startServer({ DATABASE_URL: viaProxy.toString(), DATA_DIR: undefined });
    const created = await runCli(
      ['keys', 'create', '--project', 'live', '--mode', 'root', '--create-project', '--json'],
      {
        DATABASE_URL: database.url,
        DATA_DIR: undefined,
      },
    );
    key = JSON.parse(created.stdout) as CreatedKey;
  });
  afterAll(async () => {
    await listener?.stop();
    await writer?.stop();
    await proxy?.close();
    await database?.drop();
  });

  const LIVE = 'subscription($filter: EventFilter) { events(filter: $filter) { id name groupIds } }';

  async function track(id: string, name: string, groups: string[] = []) {
    const result = await postGraphQL(
      `${writer.url}/graphql`,
      'mutation($input: TrackInput!) { track(input: $input) { duplicate } }',
      { input: { id, name, groups } },
      key,
    );
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  }

  async function nextId(sub: Subscription, timeoutMs?: number): Promise<string> {
    const message = await sub.next(timeoutMs);
    if (message.event !== 'next') throw new Error('the subscription completed');
    expect(message.data.errors, JSON.stringify(message.data.errors)).toBeUndefined();
    return message.data.data!.events.id as string;
  }

  it('a subscriber on one process hears, in commit order, what another process stores', async () => {
    const sub = await subscribe(`${listener.url}/graphql`, LIVE, { filter: { groupIds: ['org_live'] } }, key);
    const ids = Array.from({ length: 20 }, (_, i) => `evt_order_${i}`);
    for (const [i, id] of ids.entries()) {
      // Every other event belongs to another group and must not arrive.
      await track(id, 'step', i % 2 === 0 ? ['org_live'] : ['org_other']);
    }
    const expected = ids.filter((_, i) => i % 2 === 0);
    const received: string[] = [];
    while (received.length < expected.length) received.push(await nextId(sub));
    expect(received).toEqual(expected);
    await sub.close();
  });

  it('keeps delivering after its database connection was cut', async () => {
    const sub = await subscribe(`${listener.url}/graphql`, LIVE, { filter: { eventNames: ['probe', 'after'] } }, key);
    proxy.cut();
    await new Promise((r) => setTimeout(r, 1_000)); // the outage: reconnect attempts are refused meanwhile
    proxy.restore();

    // Events stored while the listener was away are not heard (NOTIFY keeps nothing
    // for absent listeners); probe until one arrives, then the next ones must all come.
    let heard = false;
    for (let attempt = 0; attempt < 30 && !heard; attempt++) {
      await track(`evt_probe_${attempt}`, 'probe');
      heard = await nextId(sub, 2_000).then(
        () => true,
        () => false,
      );
    }
    expect(heard).toBe(true);
    const after = ['evt_after_1', 'evt_after_2', 'evt_after_3'];
    for (const id of after) await track(id, 'after');
    const received: string[] = [];
    while (received.length < after.length) {
      const id = await nextId(sub);
      if (!id.startsWith('evt_probe_')) received.push(id);
    }
    expect(received).toEqual(after);
    await sub.close();
  });
});
