import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { DataDirLockedError } from '../db/dataDirLock.ts';
import { MigrationError } from '../db/migrator.ts';
import { AppError } from '../services/errors.ts';
import { AdminSocketError, adminSocketPath, callAdminSocket } from '../http/adminSocket.ts';
import { isMode, KeyService, MODES, type CreatedKey, type KeyInfo } from '../services/keys.ts';
import { CommandError, isParseArgsError, UsageError } from './errors.ts';
import { checkSchema, writeSchema } from './schemaArtifact.ts';

const USAGE = `groupgraph — typed GraphQL analytics for groups

Usage:
  groupgraph serve                       serve /graphql, /track and /health (PORT, HOST, DATABASE_URL, DATA_DIR)
  groupgraph migrate                     apply pending migrations and exit
  groupgraph keys create --project <id> --mode <write|read|root> [--name <text>] [--json]
  groupgraph keys list [--project <id>] [--json]
  groupgraph keys revoke <clientId>
  groupgraph origins list --project <id> [--json]
  groupgraph origins add|remove --project <id> <origin>...   browsers on these origins may send /track
                                         with a write key's client id alone (e.g. https://app.example.com)
  groupgraph schema print                write schema/schema.graphql
  groupgraph schema check                fail when schema/schema.graphql is stale
  groupgraph check [--project <id>] [--json]   compare every derived table with the events; exit code 1 on differences
  groupgraph backfill --group <id> [--profile <id>]... [--from <time>] [--to <time>] [--project <id>]
                                         tag members' past events with the group (progress bar)
  groupgraph seed --demo [--events <n>] [--project <id>]   realistic demo data (default 100,000 events, project default)
`;

/**
 * Runs key administration on the database; when a running server holds the
 * embedded database, asks that server over its admin socket instead.
 */
async function withKeys<T>(
  work: (keys: KeyService) => Promise<T>,
  viaServer: (dataDir: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  let database;
  try {
    database = await openDatabase(config);
  } catch (error) {
    if (error instanceof DataDirLockedError && existsSync(adminSocketPath(config.dataDir))) {
      return viaServer(config.dataDir);
    }
    throw error;
  }
  try {
    await database.migrate();
    return await work(new KeyService(database.prisma));
  } finally {
    await database.close();
  }
}

async function keys(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      mode: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [action, ...rest] = positionals;
  switch (action) {
    case 'create': {
      if (!values.project) throw new UsageError('keys create needs --project <id>');
      if (!values.mode || !isMode(values.mode)) throw new UsageError(`keys create needs --mode ${MODES.join('|')}`);
      const mode = values.mode;
      const projectId = values.project;
      const key = await withKeys(
        (k) => k.create(projectId, mode, values.name),
        (dir) => callAdminSocket<CreatedKey>(dir, '/keys/create', { projectId, mode, name: values.name }),
      );
      if (values.json) console.log(JSON.stringify(key));
      else {
        console.log(`Created a ${key.mode} key for project "${key.projectId}". The secret is shown only now.`);
        console.log(`  openpanel-client-id:     ${key.clientId}`);
        console.log(`  openpanel-client-secret: ${key.clientSecret}`);
      }
      return;
    }
    case 'list': {
      const list = (
        await withKeys(
          (k) => k.list(values.project),
          (dir) => callAdminSocket<KeyInfo[]>(dir, '/keys/list', { projectId: values.project }),
        )
      ).map((k) => ({ ...k, revokedAt: k.revokedAt ? new Date(k.revokedAt) : null }));
      if (values.json) console.log(JSON.stringify(list));
      else {
        for (const key of list) {
          const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
          console.log(`${key.projectId}\t${key.clientId}\t${key.mode}\t${state}\t${key.name ?? ''}`);
        }
        if (list.length === 0) console.log('No keys.');
      }
      return;
    }
    case 'revoke': {
      const clientId = rest[0];
      if (!clientId) throw new UsageError('keys revoke needs a client id');
      await withKeys(
        (k) => k.revoke(clientId),
        (dir) => callAdminSocket<void>(dir, '/keys/revoke', { clientId }),
      );
      console.log(`Revoked ${clientId}.`);
      return;
    }
    default:
      throw new UsageError(`unknown keys command "${action ?? ''}"`);
  }
}

/** The origins whose browsers may send POST /track with a write key's client id and no secret. */
async function origins(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { project: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [action, ...given] = positionals;
  if (action !== 'list' && action !== 'add' && action !== 'remove') {
    throw new UsageError(`unknown origins command "${action ?? ''}"`);
  }
  const projectId = values.project;
  if (!projectId) throw new UsageError(`origins ${action} needs --project <id>`);
  if (action !== 'list' && given.length === 0) throw new UsageError(`origins ${action} needs at least one origin`);
  const list = await withKeys(
    (k) =>
      action === 'list'
        ? k.allowedOrigins(projectId)
        : action === 'add'
          ? k.addAllowedOrigins(projectId, given)
          : k.removeAllowedOrigins(projectId, given),
    (dir) => callAdminSocket<string[]>(dir, `/origins/${action}`, { projectId, origins: given }),
  );
  if (values.json) console.log(JSON.stringify(list));
  else if (list.length === 0) console.log(`Project "${projectId}" allows no browser origins.`);
  else for (const origin of list) console.log(origin);
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { serve } = await import('../main.ts');
      return serve(loadConfig());
    }
    case 'migrate': {
      const database = await openDatabase(loadConfig());
      try {
        const applied = await database.migrate();
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
      } finally {
        await database.close();
      }
      return;
    }
    case 'seed': {
      const { seed } = await import('./seed.ts');
      return seed(rest);
    }
    case 'check': {
      const { check } = await import('./accounts.ts');
      return check(rest);
    }
    case 'backfill': {
      const { backfill } = await import('./accounts.ts');
      return backfill(rest);
    }
    case 'keys':
      return keys(rest);
    case 'origins':
      return origins(rest);
    case 'schema':
      if (rest[0] === 'print') return writeSchema();
      if (rest[0] === 'check') return checkSchema();
      throw new UsageError('schema print | schema check');
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || isParseArgsError(error)) {
    console.error(`groupgraph: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (
    error instanceof ConfigError ||
    error instanceof MigrationError ||
    error instanceof DataDirLockedError ||
    error instanceof AppError ||
    error instanceof CommandError ||
    error instanceof AdminSocketError
  ) {
    console.error(`groupgraph: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
