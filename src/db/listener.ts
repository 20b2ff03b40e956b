import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * A channel's notifications (PostgreSQL LISTEN/NOTIFY). `close` stops
 * listening. Payloads arrive in commit order: PostgreSQL delivers the
 * notifications of one transaction together, after it commits, in the order
 * transactions committed.
 */
export interface Listener {
  /** Resolves once the channel is listened to: whatever commits afterwards is heard. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export type NotificationHandler = (payload: string) => void;

export interface PostgresListenerOptions {
  connectTimeoutMs: number;
  /** Told when the connection is lost and when it is back (notifications sent in between are lost). */
  onState?: (state: 'lost' | 'listening') => void;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * One dedicated connection per process (a pooled one would be handed to other
 * queries). When it is lost — the database restarts, the network drops — it
 * reconnects by itself with a capped back-off and listens again.
 */
export function listenPostgres(
  url: string,
  channel: string,
  onPayload: NotificationHandler,
  options: PostgresListenerOptions,
): Listener {
  let client: pg.Client | undefined;
  let closed = false;
  let delay = RECONNECT_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));

  const connect = async (): Promise<void> => {
    if (closed) return;
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: options.connectTimeoutMs });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (client === next) client = undefined;
      next.removeAllListeners('notification');
      void next.end().catch(() => {});
      if (closed) return;
      options.onState?.('lost');
      retryTimer = setTimeout(() => void connect(), delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    };
    next.on('error', onLost);
    next.on('end', onLost);
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) onPayload(message.payload);
    });
    try {
      await next.connect();
      await next.query(`LISTEN "${channel}"`);
    } catch {
      onLost();
      return;
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    delay = RECONNECT_MIN_MS;
    options.onState?.('listening');
    resolveReady();
  };

  void connect();
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      resolveReady();
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}

/** The embedded database runs in this process: its notifications are handed over after each commit. */
export function listenEmbedded(db: PGlite, channel: string, onPayload: NotificationHandler): Listener {
  const unlisten = db.listen(channel, onPayload);
  return {
    ready: unlisten.then(() => {}),
    async close() {
      await (
        await unlisten
      )();
    },
  };
}
