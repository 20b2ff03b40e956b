import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createApp } from '../src/http/app.ts';
import { schema } from '../src/graphql/schema.ts';
import { fuzzCases, judge } from './helpers/fuzz.ts';
import { useTestApp } from './helpers/app.ts';
import { keyHeaders } from './helpers/http.ts';

// A seed-fixed sample of what `npm run bench:fuzz` runs at length: random
// operations from the schema with random variables, garbage bodies and random
// /track payloads, each answered 2xx/4xx with coded errors.
const t = useTestApp();

describe('fuzzing', () => {
  it('answers 300 random requests without a 5xx or an uncoded error', async () => {
    const app = createApp({ database: t.db, production: true, rateLimit: { perSecond: 0, burst: 1 } });
    await fc.assert(
      fc.asyncProperty(fuzzCases(schema), async (fuzz) => {
        const response = await app.fetch(`http://test${fuzz.path}`, {
          method: 'POST',
          headers: { 'content-type': fuzz.contentType, ...keyHeaders(t.rootKey) },
          body: fuzz.body,
        });
        const verdict = await judge(response);
        expect(verdict.ok, `${verdict.status} ${verdict.reason} for ${fuzz.path} ${fuzz.body.slice(0, 500)}`).toBe(
          true,
        );
      }),
      { numRuns: 300, seed: 20261126, endOnFailure: true },
    );
    // The server is still healthy afterwards.
    expect((await app.fetch('http://test/health')).status).toBe(200);
  });
});
