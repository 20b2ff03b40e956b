import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listen, type RunningServer } from '../src/http/server.ts';
import { keyHeaders, useTestApp } from './helpers/app.ts';

// GraphQL over HTTP conformance, audited against the real server over a socket.
const t = useTestApp();

describe('graphql-http server audits', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await listen(t.app, 0, '127.0.0.1');
  });
  afterAll(() => server.close());

  const audits = serverAudits({
    url: () => `${server.url}/graphql`,
    // Every request carries a key, as every real client does.
    fetchFn: (input: RequestInfo | URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      for (const [name, value] of Object.entries(keyHeaders(t.rootKey))) headers.set(name, value);
      return fetch(input, { ...init, headers });
    },
  });

  it.each(audits.map((audit) => [audit.name, audit] as const))('%s', async (_name, audit) => {
    const result = await audit.fn();
    expect(result.status, 'reason' in result ? result.reason : '').toBe('ok');
  });
});
