import { describe, expect, it } from 'vitest';

import { openEmbedded, openPostgres, type Database } from '../src/db/database.ts';
import { createApp } from '../src/http/app.ts';
import { createEmptyPostgresDatabase, engine } from './helpers/db.ts';

// GET /ready: the database answers and this release's migrations are applied.
// GET /health only says the process is up and the database answers.
describe('GET /ready', () => {
  it('is 503 naming the pending migrations until they are applied, then 200', { timeout: 180_000 }, async () => {
    const scratch = engine === 'postgres' ? await createEmptyPostgresDatabase() : undefined;
    const database: Database = scratch ? openPostgres(scratch.url) : await openEmbedded(undefined);
    try {
      const app = createApp({ database, production: true });
      const before = await app.fetch('http://test/ready');
      expect(before.status).toBe(503);
      expect(before.headers.get('retry-after')).toMatch(/^\d+$/);
      const body = (await before.json()) as { status: string; pending: string[] };
      expect(body.status).toBe('migrations_pending');
      expect(body.pending).toContain('20261126000000_init');
      expect((await app.fetch('http://test/health')).status).toBe(200);

      const applied = await database.migrate();
      expect(applied).toEqual(body.pending);
      const after = await app.fetch('http://test/ready');
      expect(after.status).toBe(200);
      expect(await after.json()).toEqual({ status: 'ready', database: engine });
    } finally {
      await database.close();
      await scratch?.drop();
    }
  });

  it('is 503 when the database does not answer', async () => {
    const database: Database = openPostgres('postgresql://postgres@127.0.0.1:1/none', { connectTimeoutMs: 500 });
    try {
      const app = createApp({ database, production: true });
      const response = await app.fetch('http://test/ready');
      expect(response.status).toBe(503);
      expect(((await response.json()) as { status: string }).status).toBe('unavailable');
    } finally {
      await database.close();
    }
  });
});
