import { serverAudits } from 'graphql-http';
import { describe, expect, it } from 'vitest';

import { useTestApp } from './helpers/app.ts';
import { keyHeaders } from './helpers/http.ts';

// GraphQL over HTTP conformance, audited against the real server over a socket.
const t = useTestApp({ transport: 'http' });

describe('graphql-http server audits', () => {
  const audits = serverAudits({
    url: () => `${t.url}/graphql`,
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
