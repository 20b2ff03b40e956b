import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { loadConfig, type Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { DataDirLockedError } from '../db/dataDirLock.ts';
import { isMode, MODES, type CreatedKey, type KeyAdmin, type KeyInfo } from '../services/keys.ts';
import { CommandError, describeEverydayError, isParseArgsError, UsageError } from './errors.ts';
import { usageFor, wantsHelp, USAGE } from './usage.ts';

// Every command loads what it needs when it runs (database driver, Prisma
// client, GraphQL schema, server): `--help` and usage errors load none of it, and
// `keys` loads no GraphQL. Module loading was most of a CLI call's time.

/** The command line being run, for the usage shown with an error. */
let current: { command?: string; subcommand?: string } = {};
/** Filled once the configuration is read, so errors can name DATABASE_URL, DATA_DIR or PORT. */
let config: Config | undefined;

function readConfig(): Config {
  config = loadConfig();
  return config;
}

async function open(): Promise<Database> {
  const { openDatabase } = await import('../db/database.ts');
  return openDatabase(config ?? readConfig());
}

/** parseArgs, strict: an unknown flag or a stray argument is a usage error. */
function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  allowPositionals = false,
) {
  return parseArgs({ args: argv, options, allowPositionals, strict: true });
}

/**
 * Runs key administration on the database, over one plain SQL session (no
 * Prisma client: a key command is done in the time that would take to load);
 * when a running server holds the embedded database, asks that server over its
 * admin socket instead.
 */
async function withKeys<T>(
  work: (keys: KeyAdmin) => Promise<T>,
  viaServer: (dataDir: string) => Promise<T>,
): Promise<T> {
  const settings = config ?? readConfig();
  const { openSqlSession } = await import('../db/sqlSession.ts');
  let session;
  try {
    session = await openSqlSession(settings);
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      const socket = await import('../http/adminSocket.ts');
      if (existsSync(socket.adminSocketPath(settings.dataDir))) {
        try {
          return await viaServer(settings.dataDir);
        } catch (socketError) {
          // The server's answer is already worded for people (NOT_FOUND, VALIDATION_FAILED…).
          if (socketError instanceof socket.AdminSocketError) throw new CommandError(socketError.message);
          throw socketError;
        }
      }
    }
    throw error;
  }
  try {
    await session.migrateIfNeeded();
    const { SqlKeyAdmin } = await import('../services/keyAdmin.ts');
    return await work(new SqlKeyAdmin(session));
  } finally {
    await session.close();
  }
}

async function callServer<T>(dataDir: string, route: string, body: unknown): Promise<T> {
  const { callAdminSocket } = await import('../http/adminSocket.ts');
  return callAdminSocket<T>(dataDir, route, body);
}

/** Asks a yes/no question on a terminal; false when not on one. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

async function keysCreate(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    project: { type: 'string' },
    mode: { type: 'string' },
    name: { type: 'string' },
    'create-project': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  if (!values.project) throw new UsageError('keys create needs --project <id>');
  if (!values.mode || !isMode(values.mode)) throw new UsageError(`keys create needs --mode ${MODES.join('|')}`);
  const mode = values.mode;
  const projectId = values.project;
  const createProject = values['create-project'];

  // A typo in --project must not quietly make a new project: creating one has to
  // be asked for. One database session checks and creates (opening the embedded
  // database is most of the command's time).
  const mayCreate = async (others: string[]): Promise<void> => {
    if (createProject || (await confirm(`Project "${projectId}" does not exist. Create it?`))) return;
    const listed = others.length ? `Projects with keys: ${others.join(', ')}.` : 'There are no projects yet.';
    throw new CommandError(
      `Project "${projectId}" does not exist. ${listed} To create it, add --create-project: groupgraph keys create --project ${projectId} --mode ${mode} --create-project`,
    );
  };
  const { key, created } = await withKeys(
    async (k) => {
      const exists = await k.allowedOrigins(projectId).then(yes, unlessNotFound);
      if (!exists) await mayCreate(projectsOf(await k.list()));
      return { key: await k.create(projectId, mode, values.name), created: !exists };
    },
    async (dir) => {
      const exists = await callServer<string[]>(dir, '/origins/list', { projectId, origins: [] }).then(
        yes,
        unlessNotFound,
      );
      if (!exists) await mayCreate(projectsOf(await callServer<KeyInfo[]>(dir, '/keys/list', {})));
      const key = await callServer<CreatedKey>(dir, '/keys/create', { projectId, mode, name: values.name });
      return { key, created: !exists };
    },
  );
  if (values.json) console.log(JSON.stringify(key));
  else {
    if (created) console.log(`Created project "${key.projectId}".`);
    console.log(`Created a ${key.mode} key for project "${key.projectId}". The secret is shown only now.`);
    console.log(`  openpanel-client-id:     ${key.clientId}`);
    console.log(`  openpanel-client-secret: ${key.clientSecret}`);
  }
}

const yes = () => true;

/**
 * Asking for a project's allowed origins answers NOT_FOUND exactly when the
 * project does not exist, on the database and through a running server alike.
 */
function unlessNotFound(error: unknown): false {
  if ((error as { code?: unknown } | null)?.code === 'NOT_FOUND') return false;
  throw error;
}

function projectsOf(keys: KeyInfo[]): string[] {
  return [...new Set(keys.map((k) => k.projectId))].sort();
}

async function keysList(argv: string[]): Promise<void> {
  const { values } = parse(argv, { project: { type: 'string' }, json: { type: 'boolean', default: false } });
  const list = (
    await withKeys(
      (k) => k.list(values.project),
      (dir) => callServer<KeyInfo[]>(dir, '/keys/list', { projectId: values.project }),
    )
  ).map((k) => ({ ...k, revokedAt: k.revokedAt ? new Date(k.revokedAt) : null }));
  if (values.json) {
    console.log(JSON.stringify(list));
    return;
  }
  if (list.length === 0) {
    console.log(values.project ? `No keys for project "${values.project}".` : 'No keys.');
    return;
  }
  const rows = [
    ['PROJECT', 'CLIENT ID', 'MODE', 'STATE', 'NAME'],
    ...list.map((key) => [
      key.projectId,
      key.clientId,
      key.mode,
      key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active',
      key.name ?? '',
    ]),
  ];
  // Tab-separated (cut -f and awk -F'\t' keep working), the header row first.
  for (const row of rows) console.log(row.join('\t'));
}

async function keysRevoke(argv: string[]): Promise<void> {
  const { positionals } = parse(argv, {}, true);
  const clientId = positionals[0];
  if (!clientId || positionals.length > 1) throw new UsageError('keys revoke needs one client id');
  await withKeys(
    (k) => k.revoke(clientId),
    (dir) => callServer<void>(dir, '/keys/revoke', { clientId }),
  );
  console.log(`Revoked ${clientId}.`);
}

async function keys(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  current.subcommand = action;
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    console.log(usageFor('keys'));
    return;
  }
  if (wantsHelp(rest)) {
    console.log(usageFor('keys', action));
    return;
  }
  switch (action) {
    case 'create':
      return keysCreate(rest);
    case 'list':
      return keysList(rest);
    case 'revoke':
      return keysRevoke(rest);
    default:
      current.subcommand = undefined;
      throw new UsageError(`unknown keys command "${action}"`);
  }
}

/** The origins whose browsers may send POST /track with a write key's client id and no secret. */
async function origins(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) {
    console.log(usageFor('origins'));
    return;
  }
  const { values, positionals } = parse(
    argv,
    { project: { type: 'string' }, json: { type: 'boolean', default: false } },
    true,
  );
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
    (dir) => callServer<string[]>(dir, `/origins/${action}`, { projectId, origins: given }),
  );
  if (values.json) console.log(JSON.stringify(list));
  else if (list.length === 0) console.log(`Project "${projectId}" allows no browser origins.`);
  else for (const origin of list) console.log(origin);
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  current = { command };
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(rest[0] ? usageFor(rest[0]) : USAGE);
    return;
  }
  if (command !== 'keys' && wantsHelp(rest)) {
    if (!(command in commands)) throw new UsageError(`unknown command "${command}"`);
    console.log(usageFor(command, command === 'schema' ? undefined : rest[0]));
    return;
  }
  const handler = commands[command];
  if (!handler) {
    current = {};
    throw new UsageError(`unknown command "${command}"`);
  }
  return handler(rest);
}

const commands: Record<string, (argv: string[]) => Promise<void>> = {
  async serve(argv) {
    parse(argv, {});
    const settings = readConfig();
    const { serve } = await import('../main.ts');
    return serve(settings);
  },
  async migrate(argv) {
    parse(argv, {});
    const database = await open();
    try {
      const applied = await database.migrate();
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
    } finally {
      await database.close();
    }
  },
  async seed(argv) {
    readConfig();
    const { seed } = await import('./seed.ts');
    return seed(argv);
  },
  keys,
  origins,
  async check(argv) {
    readConfig();
    const { check } = await import('./accounts.ts');
    return check(argv);
  },
  async backfill(argv) {
    readConfig();
    const { backfill } = await import('./accounts.ts');
    return backfill(argv);
  },
  async citus(argv) {
    readConfig();
    const { citus } = await import('./citus.ts');
    return citus(argv);
  },
  async schema(argv) {
    const [action, ...rest] = argv;
    parse(rest, {});
    const artifact = await import('./schemaArtifact.ts');
    if (action === 'print') return artifact.writeSchema();
    if (action === 'check') return artifact.checkSchema();
    throw new UsageError('schema print | schema check');
  },
};

try {
  await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || isParseArgsError(error)) {
    const usage = usageFor(current.command, current.subcommand);
    console.error(`groupgraph: ${error.message}\n\n${usage}`);
    process.exitCode = 2;
  } else {
    const line = describeEverydayError(error, {
      databaseUrl: config?.databaseUrl,
      dataDir: config?.dataDir,
      port: config?.port,
      host: config?.host,
    });
    if (line === undefined) throw error;
    console.error(`groupgraph: ${line}`);
    // Nothing more to do: a half-opened pool or database must not keep the process alive.
    process.exit(1);
  }
}
