import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { distributionPlan } from '../src/cli/citus.ts';
import { createServerStorage, type ServerStorage } from './helpers/db.ts';
import { runCli } from './helpers/process.ts';

// Citus cannot be installed here, so the plan is tested as data, and the
// command on a database without the extension (and on the embedded one).

describe('distribution plan', () => {
  const tables = [
    { name: 'Project', hasProjectId: false },
    { name: 'ApiClient', hasProjectId: true },
    { name: 'GroupMembership', hasProjectId: true },
    { name: 'Profile', hasProjectId: true },
    { name: 'Event', hasProjectId: true },
    { name: '_prisma_migrations', hasProjectId: false },
  ];
  const foreignKeys = [
    { from: 'GroupMembership', to: 'Profile' },
    { from: 'Profile', to: 'Project' },
    { from: 'ApiClient', to: 'Project' },
  ];

  it('reference tables first, then tenant tables colocated with Event, parents before children', () => {
    expect(distributionPlan(tables, foreignKeys)).toEqual([
      `SELECT create_reference_table('public."Project"');`,
      `SELECT create_reference_table('public."ApiClient"');`,
      `SELECT create_distributed_table('public."Event"', 'projectId');`,
      `SELECT create_distributed_table('public."Profile"', 'projectId', colocate_with => 'public."Event"');`,
      `SELECT create_distributed_table('public."GroupMembership"', 'projectId', colocate_with => 'public."Event"');`,
    ]);
  });

  it('skips what is already distributed, so running again is safe', () => {
    const done = new Set(['Project', 'ApiClient', 'Event', 'Profile', 'GroupMembership']);
    expect(distributionPlan(tables, foreignKeys, done)).toEqual([]);
    expect(distributionPlan(tables, foreignKeys, new Set(['Project', 'ApiClient', 'Event']))).toHaveLength(2);
  });

  it('refuses a table that is neither a tenant nor a reference table', () => {
    expect(() => distributionPlan([...tables, { name: 'Loose', hasProjectId: false }], foreignKeys)).toThrow(/"Loose"/);
  });
});

// Each call starts a process that opens and migrates the database: slow on a busy machine.
describe('groupgraph citus', { timeout: 180_000 }, () => {
  let storage: ServerStorage;
  beforeAll(async () => {
    storage = await createServerStorage();
  });
  afterAll(() => storage?.dispose());

  it('plan names every table of the migrated schema', async () => {
    const result = await runCli(['citus', 'plan'], storage.env);
    expect(result.code, result.stderr).toBe(0);
    for (const table of [
      'Event',
      'EventGroup',
      'Group',
      'GroupMembership',
      'Profile',
      'RollupHour',
      'GroupActivityDay',
    ])
      expect(result.stdout).toContain(`create_distributed_table('public."${table}"', 'projectId'`);
    expect(result.stdout).toContain(`create_reference_table('public."ApiClient"')`);
    expect(result.stdout).not.toContain('_prisma_migrations');
  });

  it('distribute explains and exits 1 without Citus', async () => {
    const result = await runCli(['citus', 'distribute'], storage.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      storage.env.DATABASE_URL
        ? /no citus extension[\s\S]*CREATE EXTENSION citus/
        : /embedded database cannot be distributed/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('an unknown action prints the usage', async () => {
    const result = await runCli(['citus', 'spread'], storage.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('groupgraph citus distribute');
  });
});
