import { readFileSync } from 'node:fs';

import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';

import { useTestApp } from './helpers/app.ts';

// A write key (what README recommends shipping) ingests and reads back only ids.
// README's ingest examples must work with it as written, and a mutation that
// selects more must say that the write was stored — not look like a failure.
const t = useTestApp();

/** Root fields only a root key may call (dashboard edits). */
const ROOT_ONLY = new Set([
  'updateGroup',
  'deleteGroup',
  'createCohort',
  'updateCohort',
  'deleteCohort',
  'backfillGroups',
]);

/** Every mutation of README's ```graphql blocks that a write key may call. */
function readmeIngestMutations(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((block) =>
    parse(block)
      .definitions.filter(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'mutation',
      )
      .filter((d) => d.selectionSet.selections.every((s) => s.kind === Kind.FIELD && !ROOT_ONLY.has(s.name.value)))
      .map((d) => block.slice(d.loc!.start, d.loc!.end)),
  );
}

describe('write keys read back ids only', () => {
  it("README's ingest mutations run as written with a write key", async () => {
    const mutations = readmeIngestMutations();
    expect(mutations.length).toBeGreaterThanOrEqual(5);
    const write = await t.createKey('write');
    for (const mutation of mutations) {
      const variables = mutation.includes('$events')
        ? { events: [{ name: 'readme_example', groups: ['org_acme'] }] }
        : {};
      const result = await t.gql(mutation, variables, write);
      expect(result.errors, mutation).toBeUndefined();
      expect(result.data, mutation).not.toBeNull();
    }
  });

  it('selecting more than ids: FORBIDDEN that says the write was stored and what a write key may read', async () => {
    const write = await t.createKey('write');
    const root = await t.createKey('root', write.projectId);
    const result = await t.gql(
      'mutation { track(input: { id: "e-1", name: "report_exported", groups: ["org_acme"] }) { event { groupIds createdAt } } }',
      {},
      write,
    );
    const error = result.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: 'FORBIDDEN', stored: true, field: 'Event.groupIds' });
    expect(error?.message).toBe(
      'Stored: track succeeded, but a write key reads back only ids (and duplicate) — select just those, or use a read or root key to see Event.groupIds',
    );
    // It was stored, once: the retry a user would make is a duplicate.
    expect(await t.db.prisma.event.count({ where: { projectId: write.projectId } })).toBe(1);
    const again = await t.gql(
      'mutation { track(input: { id: "e-1", name: "report_exported", groups: ["org_acme"] }) { duplicate event { id } } }',
      {},
      write,
    );
    expect(again.data).toEqual({ track: { duplicate: true, event: { id: 'e-1' } } });
    const upsert = await t.gql(
      'mutation { upsertGroup(input: { id: "org_acme", type: "company", name: "Acme Inc" }) { id type name } }',
      {},
      write,
    );
    expect(upsert.errors?.[0]?.message).toMatch(/^Stored: upsertGroup succeeded, but a write key reads back only ids/);
    const stored = await t.ok('{ group(id: "org_acme") { type name } }', {}, root);
    expect(stored).toEqual({ group: { type: 'company', name: 'Acme Inc' } });

    // A key calling a mutation it may not use wrote nothing, and is told so plainly.
    const read = await t.createKey('read', write.projectId);
    const refused = await t.gql('mutation { track(input: { name: "x" }) { duplicate } }', {}, read);
    expect(refused.errors?.[0]?.message).toBe('A read key may not use Mutation.track');
    expect(refused.errors?.[0]?.extensions?.stored).toBeUndefined();
  });
});
