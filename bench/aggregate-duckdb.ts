/**
 * The DuckDB baseline of bench/aggregate.ts: what a user who outgrows a
 * dashboard would do — copy the events into an in-process columnar engine
 * (all cores) and ask the four questions in plain SQL there. The events are
 * streamed out of PostgreSQL with COPY into a CSV file, which DuckDB's reader
 * loads; groups come with their type and their "plan" property.
 *
 * Answers are cells (key, UTC day, value), the shape bench/aggregate.ts compares.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

export interface Cell {
  key: string | null;
  day: Date;
  value: number;
}

/** The bench's four questions; `from`/`to` in ms since the epoch, whole UTC days. */
export type DuckQuestion =
  | { kind: 'eventsByGroup'; from: number; to: number; limit: number }
  | { kind: 'uniqueProfilesOfGroup'; from: number; to: number; groupId: string }
  | { kind: 'uniqueGroupsOfType'; from: number; to: number; groupType: string }
  | { kind: 'eventsByGroupProperty'; from: number; to: number; property: 'plan' };

async function copyToFile(client: pg.Client, sql: string, path: string): Promise<void> {
  await pipeline(client.query(copyTo(sql)), createWriteStream(path));
}

/** A DuckDB database holding the project's events and groups, copied from PostgreSQL. */
export async function loadDuckDB(databaseUrl: string, projectId: string): Promise<DuckDBConnection> {
  const dir = await mkdtemp(join(tmpdir(), 'groupgraph-duckdb-'));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const literal = client.escapeLiteral(projectId);
    const events = join(dir, 'events.csv');
    const groups = join(dir, 'groups.csv');
    await copyToFile(
      client,
      `COPY (SELECT "id", "name", "profileId", array_to_json("groupIds"), (extract(epoch FROM "createdAt") * 1000000)::bigint
             FROM "Event" WHERE "projectId" = ${literal}) TO STDOUT (FORMAT csv)`,
      events,
    );
    await copyToFile(
      client,
      `COPY (SELECT "id", "type", "properties" ->> 'plan' FROM "Group" WHERE "projectId" = ${literal}) TO STDOUT (FORMAT csv)`,
      groups,
    );
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `CREATE TABLE events AS
       SELECT id, name, profile_id, CAST(group_ids AS JSON)::VARCHAR[] AS group_ids, make_timestamp(created_us) AS ts
       FROM read_csv($path, header = false, quote = '"', escape = '"',
         columns = {'id': 'VARCHAR', 'name': 'VARCHAR', 'profile_id': 'VARCHAR', 'group_ids': 'VARCHAR', 'created_us': 'BIGINT'})`,
      { path: events },
    );
    await connection.run(
      `CREATE TABLE groups AS SELECT * FROM read_csv($path, header = false, quote = '"', escape = '"',
         columns = {'id': 'VARCHAR', 'type': 'VARCHAR', 'plan': 'VARCHAR'})`,
      { path: groups },
    );
    return connection;
  } finally {
    await client.end();
    await rm(dir, { recursive: true, force: true });
  }
}

const range = (q: { from: number; to: number }) =>
  `ts >= make_timestamp(${Math.trunc(q.from * 1000)}::BIGINT) AND ts < make_timestamp(${Math.trunc(q.to * 1000)}::BIGINT)`;
const day = `epoch_ms(date_trunc('day', ts))`;

/** The question in DuckDB's SQL, with the same semantics as eventAggregation. */
function duckSql(q: DuckQuestion): { sql: string; params: Record<string, string> } {
  switch (q.kind) {
    case 'eventsByGroup':
      // An event counts once in each of its groups' series; events without groups in the null series.
      return {
        sql: `
          WITH ev AS (
            SELECT ts, unnest(CASE WHEN len(group_ids) = 0 THEN [NULL::VARCHAR] ELSE group_ids END) AS g
            FROM events WHERE ${range(q)}),
          top AS (SELECT g FROM ev GROUP BY g ORDER BY count(*) DESC, g ASC NULLS LAST LIMIT ${q.limit})
          SELECT ev.g AS key, ${day} AS day, count(*) AS value
          FROM ev SEMI JOIN top ON ev.g IS NOT DISTINCT FROM top.g
          GROUP BY 1, 2`,
        params: {},
      };
    case 'uniqueProfilesOfGroup':
      return {
        sql: `
          SELECT NULL::VARCHAR AS key, ${day} AS day, count(DISTINCT profile_id) AS value
          FROM events WHERE ${range(q)} AND list_contains(group_ids, $group)
          GROUP BY 2`,
        params: { group: q.groupId },
      };
    case 'uniqueGroupsOfType':
      return {
        sql: `
          WITH ev AS (SELECT ts, unnest(group_ids) AS g FROM events WHERE ${range(q)})
          SELECT NULL::VARCHAR AS key, ${day} AS day, count(DISTINCT ev.g) AS value
          FROM ev JOIN groups ON groups.id = ev.g AND groups.type = $type
          GROUP BY 2`,
        params: { type: q.groupType },
      };
    case 'eventsByGroupProperty':
      // An event counts once per distinct plan among its groups; in the null series when none has one.
      return {
        sql: `
          WITH ev AS (SELECT id, ts, group_ids FROM events WHERE ${range(q)}),
          planned AS (
            SELECT DISTINCT ev.id, ev.ts, groups.plan
            FROM (SELECT id, ts, unnest(group_ids) AS g FROM ev) ev
            JOIN groups ON groups.id = ev.g AND groups.plan IS NOT NULL)
          SELECT plan AS key, ${day} AS day, count(*) AS value FROM planned GROUP BY 1, 2
          UNION ALL
          SELECT NULL, ${day}, count(*) FROM ev ANTI JOIN planned ON planned.id = ev.id GROUP BY 2`,
        params: {},
      };
  }
}

export async function askDuckDB(connection: DuckDBConnection, q: DuckQuestion): Promise<Cell[]> {
  const { sql, params } = duckSql(q);
  const reader = await connection.runAndReadAll(sql, params);
  return (reader.getRowObjectsJS() as { key: string | null; day: bigint | number; value: bigint | number }[]).map(
    (row) => ({ key: row.key, day: new Date(Number(row.day)), value: Number(row.value) }),
  );
}
