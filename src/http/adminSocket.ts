import { chmodSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';

import { AppError } from '../services/errors.ts';
import type { KeyService, Mode } from '../services/keys.ts';
import { codedError, restError } from './errors.ts';

/**
 * The embedded database belongs to one process, so while `groupgraph serve` runs,
 * `groupgraph keys …` and `groupgraph origins …` ask it over a Unix socket in DATA_DIR (owner-only, never
 * on the network) instead of opening the files itself.
 */
export function adminSocketPath(dataDir: string): string {
  return path.join(dataDir, 'admin.sock');
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}

export async function listenAdminSocket(dataDir: string, keys: KeyService): Promise<Server> {
  const socket = adminSocketPath(dataDir);
  rmSync(socket, { force: true }); // left by a process that died; we hold the data-dir lock
  const server = createServer(async (req, res) => {
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    try {
      const body = await readJson(req);
      if (req.method === 'POST' && req.url === '/keys/create') {
        return send(
          200,
          await keys.create(String(body.projectId), String(body.mode) as Mode, body.name as string | undefined),
        );
      }
      if (req.method === 'POST' && req.url === '/keys/list') {
        return send(200, await keys.list(body.projectId as string | undefined));
      }
      if (req.method === 'POST' && req.url === '/keys/revoke') {
        await keys.revoke(String(body.clientId));
        return send(200, { revoked: body.clientId });
      }
      const origins = Array.isArray(body.origins) ? body.origins.map(String) : [];
      if (req.method === 'POST' && req.url === '/origins/list') {
        return send(200, await keys.allowedOrigins(String(body.projectId)));
      }
      if (req.method === 'POST' && req.url === '/origins/add') {
        return send(200, await keys.addAllowedOrigins(String(body.projectId), origins));
      }
      if (req.method === 'POST' && req.url === '/origins/remove') {
        return send(200, await keys.removeAllowedOrigins(String(body.projectId), origins));
      }
      throw new AppError('NOT_FOUND', `no admin route ${req.method} ${req.url}`);
    } catch (error) {
      const coded = codedError(error);
      if (!coded) {
        // An owner-only socket on this machine: the operator may see the real message.
        return send(500, { error: 'INTERNAL_SERVER_ERROR', message: String((error as Error).message) });
      }
      const { status, body, headers } = restError(coded);
      send(status, body, headers);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  chmodSync(socket, 0o600);
  return server;
}

export class AdminSocketError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Calls the running server's admin socket. */
export function callAdminSocket<T>(dataDir: string, route: string, body: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: adminSocketPath(dataDir), path: route, method: 'POST' }, async (res) => {
      const value = (await readJson(res)) as { error?: string; message?: string };
      if (res.statusCode === 200) resolve(value as T);
      else
        reject(new AdminSocketError(value.error ?? 'ERROR', value.message ?? `admin call failed (${res.statusCode})`));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
