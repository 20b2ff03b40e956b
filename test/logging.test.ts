import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CreatedKey } from '../src/services/keys.ts';
import { createServerStorage, type ServerStorage } from './helpers/db.ts';
import { keyHeaders, postGraphQL } from './helpers/http.ts';
import { runCli, startServer, type ServerProcess } from './helpers/process.ts';

// The request log of a real server process in production: one JSON line per
// request with the documented fields, and never a secret.
describe('request logs', () => {
  let storage: ServerStorage;
  let server: ServerProcess;
  let key: CreatedKey;

  beforeAll(async () => {
    storage = await createServerStorage();
    const env = { ...storage.env, NODE_ENV: 'production', LOG_LEVEL: 'info' };
    server = await startServer(env, { timeoutMs: 240_000 });
    const created = await runCli(
      ['keys', 'create', '--project', 'logs', '--mode', 'root', '--create-project', '--json'],
      env,
    );
    key = JSON.parse(created.stdout) as CreatedKey;
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    await storage?.dispose();
  });

  const requestLines = () =>
    server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request');

  it('one JSON line per request with its fields; x-request-id honoured or generated, and returned', async () => {
    const ok = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-logs-1', ...keyHeaders(key) },
      body: JSON.stringify({ query: 'query Types { groupTypes { type } }' }),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('req-logs-1');
    const generated = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'not plain: {"level":60}' } });
    const generatedId = generated.headers.get('x-request-id');
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);

    await expect.poll(() => requestLines().length).toBeGreaterThanOrEqual(2);
    const line = requestLines().find((l) => l.requestId === 'req-logs-1')!;
    expect(Object.keys(line).sort()).toEqual(
      [
        'durationMs',
        'hostname',
        'pid',
        'level',
        'method',
        'msg',
        'operationName',
        'path',
        'projectId',
        'requestId',
        'status',
        'time',
      ].sort(),
    );
    expect(line).toMatchObject({
      method: 'POST',
      path: '/graphql',
      operationName: 'Types',
      status: 200,
      projectId: 'logs',
    });
    expect(typeof line.durationMs).toBe('number');
    expect(requestLines().find((l) => l.requestId === generatedId)).toMatchObject({ path: '/health', status: 200 });
  });

  it('never writes a secret, after successful and failed authentication', async () => {
    const wrongSecret = 'sec_wrong_but_secret_looking_value';
    await postGraphQL(`${server.url}/graphql`, 'mutation Ok { track(input: { name: "x" }) { duplicate } }', {}, key);
    await postGraphQL(
      `${server.url}/graphql`,
      '{ groupTypes { type } }',
      {},
      { clientId: key.clientId, clientSecret: wrongSecret },
    );
    await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.clientId}:${key.clientSecret}` },
      body: JSON.stringify({ query: 'query Bearer { groupTypes { type } }' }),
    });
    await fetch(`${server.url}/track`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...keyHeaders({ clientId: key.clientId, clientSecret: wrongSecret }),
      },
      body: JSON.stringify({ type: 'track', payload: { name: 'x' } }),
    });
    await expect.poll(() => requestLines().filter((l) => l.status === 401).length).toBeGreaterThanOrEqual(2);
    await expect.poll(() => requestLines().some((l) => l.operationName === 'Bearer')).toBe(true);
    const output = server.output();
    expect(output).not.toContain(key.clientSecret);
    expect(output).not.toContain(wrongSecret);
    expect(output).not.toContain(key.clientSecret.slice(4));
  });
});
