import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DEFAULTS } from '../config.ts';
import type { App } from './app.ts';

export interface RunningServer {
  url: string;
  server: Server;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes. */
  close(graceMs?: number): Promise<void>;
}

/** How long a client may take, and how many may be connected at once. */
export interface ConnectionLimits {
  /** The whole request, body included, must arrive within this (else 408 and the connection closes). */
  requestTimeoutMs: number;
  /** The request's headers must arrive within this. */
  headersTimeoutMs: number;
  /** Connections beyond this are closed at once. */
  maxConnections: number;
}

/**
 * Node's defaults (headers within 60 s, request within 300 s, no connection
 * cap) suit a general web server; a client that sends its body one byte a
 * second would hold a connection for minutes. An API's requests are small.
 */
export async function listen(
  app: App,
  port: number,
  host: string,
  limits: ConnectionLimits = DEFAULTS.connections,
): Promise<RunningServer> {
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      // How often Node checks those timeouts (default every 30 s).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    close(graceMs = 10_000) {
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Idle keep-alive sockets would hold close() open; busy ones finish first.
        server.closeIdleConnections();
      });
    },
  };
}
