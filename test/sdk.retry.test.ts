import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  EventsDocument,
  GroupGraph,
  GroupGraphClient,
  type EventsQuery,
  type GroupGraphError,
  type RetryInfo,
} from '../src/sdk/index.ts';
import { createServerStorage, engine } from './helpers/db.ts';
import { runCli, startServer, type ServerProcess } from './helpers/process.ts';

// Acceptance: the network dies mid-flush — an acknowledgement is lost after the
// server committed a batch, the server process is killed, and it comes back on
// the same port and database while the SDK retries — and every event is stored
// exactly once.

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * A TCP hop between the SDK and the server that can cut the network: it counts
 * HTTP responses, swallows the chosen one (the server has committed the request;
 * the client never hears back) and from then on drops every connection until
 * restored.
 */
class Network {
  private server = net.createServer((client) => this.connect(client));
  private sockets = new Set<net.Socket>();
  private responses = 0;
  private down = false;
  port = 0;
  /** Drops this response (1-based) and cuts the network; then calls onCut. */
  cutAtResponse = Infinity;
  onCut: () => void = () => {};

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  restore(): void {
    this.down = false;
  }

  private connect(client: net.Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (chunk.subarray(0, 9).toString('latin1') === 'HTTP/1.1 ' && ++this.responses === this.cutAtResponse) {
        this.down = true;
        for (const socket of this.sockets) socket.destroy();
        this.onCut();
        return;
      }
      client.write(chunk);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe(`SDK retries across a server restart on ${engine}`, () => {
  let env: Record<string, string | undefined>;
  let cleanup: () => Promise<void>;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    const port = await freePort();
    const storage = await createServerStorage();
    env = { ...storage.env, PORT: String(port) };
    cleanup = storage.dispose;
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await cleanup?.();
  });

  async function createKey(projectId: string, mode: 'write' | 'read') {
    const created = await runCli(
      ['keys', 'create', '--project', projectId, '--mode', mode, '--json', '--create-project'],
      env,
    );
    expect(created.stderr).toBe('');
    return JSON.parse(created.stdout) as { clientId: string; clientSecret: string };
  }

  it('the server is killed after committing a batch whose answer is lost, and restarted while the SDK retries: every event is stored exactly once', async () => {
    server = await startServer(env);
    const writer = await createKey('sdk-retry', 'write');
    const reader = await createKey('sdk-retry', 'read');
    const network = new Network(Number(env.PORT));
    await network.start();

    // Every id sent, retries included: a retry must resend the same ids.
    const sentIds = new Set<string>();
    const answers: { accepted: number; duplicates: number; rejected: unknown[] }[] = [];
    const retries: RetryInfo[] = [];
    const errors: GroupGraphError[] = [];
    let restarted: Promise<void> | undefined;
    let killed: Promise<unknown> | undefined;

    // The 4th batch is committed, then its answer is lost and the server killed.
    network.cutAtResponse = 4;
    network.onCut = () => {
      killed = server!.stop('SIGKILL');
    };

    const op = new GroupGraph({
      url: `http://127.0.0.1:${network.port}`,
      clientId: writer.clientId,
      clientSecret: writer.clientSecret,
      batchSize: 10,
      flushIntervalMs: 5,
      maxRetries: 500,
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 200,
      requestTimeoutMs: 10_000,
      onError: (error) => errors.push(error),
      onRetry: (info) => {
        retries.push(info);
        // After three failed attempts against the dead network, bring the server
        // back (same port, same database) and reconnect the network.
        if (retries.length === 3) {
          restarted = (async () => {
            await killed;
            server = await startServer(env);
            network.restore();
          })();
        }
      },
      fetch: async (input, init) => {
        const body = JSON.parse(String(init?.body));
        if (body.operationName === 'TrackBatch') {
          for (const event of body.variables.events as { id: string }[]) sentIds.add(event.id);
        }
        const response = await fetch(input, init);
        const copy = (await response.clone().json()) as { data?: { trackBatch?: (typeof answers)[number] } };
        if (copy.data?.trackBatch) answers.push(copy.data.trackBatch);
        return response;
      },
    });

    const names = Array.from({ length: 100 }, (_, i) => `retry_${i}`);
    for (const name of names) op.track(name, { groups: ['org_retry'] });
    try {
      await op.flush();
      await restarted;
    } finally {
      await network.close();
    }

    expect(errors).toEqual([]);
    expect(restarted).toBeDefined(); // the server really went away and came back
    expect(retries.length).toBeGreaterThanOrEqual(3);
    expect(retries.every((r) => r.error.code === 'NETWORK_ERROR' && r.operationName === 'TrackBatch')).toBe(true);
    // 10 batches answered; the one whose answer was lost was answered again on
    // retry, as duplicates: the server had stored it before it was killed.
    expect(answers).toHaveLength(10);
    expect(answers.filter((a) => a.duplicates === 10 && a.accepted === 0)).toHaveLength(1);
    // The lost answer's 10 'accepted' were never heard: the client saw 90 accepted + 10 duplicates.
    expect(answers.reduce((n, a) => n + a.accepted, 0)).toBe(90);
    expect(answers.every((a) => a.rejected.length === 0)).toBe(true);

    // What the restarted server holds: each event once, with its client id.
    const client = new GroupGraphClient({ url: server!.url, ...reader });
    const stored: { id: string; name: string; groupIds: string[] }[] = [];
    let after: string | null = null;
    do {
      const page: EventsQuery = await client.request(EventsDocument, { first: 100, after });
      stored.push(...page.events.edges.map((e) => e.node));
      after = page.events.pageInfo.hasNextPage ? page.events.pageInfo.endCursor : null;
    } while (after);
    expect(stored.map((e) => e.name).sort()).toEqual([...names].sort());
    expect(stored.map((e) => e.id).sort()).toEqual([...sentIds].sort());
    expect(sentIds.size).toBe(100);
    expect(stored.every((e) => e.groupIds.length === 1 && e.groupIds[0] === 'org_retry')).toBe(true);
  });
});
