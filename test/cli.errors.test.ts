import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createServerStorage, engine } from './helpers/db.ts';
import { runCli, type CliResult } from './helpers/process.ts';

// Everyday mistakes at the command line, through the real command: one clear
// line saying what to do, exit code 1 (2 for a malformed command line), never a
// stack trace; every command answers --help.

const STACK_FRAME = /^\s+at /m;

function expectOneClearLine(result: CliResult, ...fragments: string[]) {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).not.toMatch(STACK_FRAME);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  for (const fragment of fragments) expect(lines[0]).toContain(fragment);
}

/** Every command and subcommand line, with the words its usage must show. */
const HELP: [string[], string][] = [
  [['--help'], 'groupgraph serve'],
  [['serve'], 'Usage: groupgraph serve'],
  [['migrate'], 'Usage: groupgraph migrate'],
  [['seed'], 'Usage: groupgraph seed --demo'],
  [['keys'], 'groupgraph keys list'],
  [['keys', 'create'], 'Usage: groupgraph keys create --project <id>'],
  [['keys', 'list'], 'Usage: groupgraph keys list'],
  [['keys', 'revoke'], 'Usage: groupgraph keys revoke <clientId>'],
  [['origins'], 'groupgraph origins add|remove'],
  [['schema'], 'groupgraph schema print'],
];

describe(`groupgraph command-line mistakes on ${engine}`, () => {
  let env: Record<string, string | undefined>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const storage = await createServerStorage();
    env = storage.env;
    cleanup = storage.dispose;
  });
  afterAll(() => cleanup());

  it('every command and subcommand answers --help and -h, and does nothing else (serve --help serves nothing)', async () => {
    for (const [command, expected] of HELP) {
      const args = command[0] === '--help' ? command : [...command, '--help'];
      const result = await runCli(args, { ...env, PORT: '0' });
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toContain(expected);
      expect(result.stdout).not.toContain('serving');
    }
    const short = await runCli(['keys', 'create', '-h'], env);
    expect(short.code).toBe(0);
    expect(short.stdout).toContain('--create-project');
  });

  it('an unknown flag is one line naming it, then the usage of that command, exit code 2', async () => {
    for (const command of [
      ['serve'],
      ['migrate'],
      ['seed', '--demo'],
      ['keys', 'create'],
      ['keys', 'list'],
      ['origins', 'list'],
    ]) {
      const result = await runCli([...command, '--bogus'], env);
      expect(result.code, command.join(' ')).toBe(2);
      expect(result.stderr).not.toMatch(STACK_FRAME);
      const [first, blank, usage] = result.stderr.split('\n');
      expect(first).toMatch(/^groupgraph: Unknown option '--bogus'/);
      expect(blank).toBe('');
      expect(usage).toMatch(/^Usage:/);
    }
  });

  it('keys create never makes a project by accident: an unknown one is an error listing those there are', async () => {
    const created = await runCli(['keys', 'create', '--project', 'acme', '--mode', 'read', '--create-project'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created project "acme"');
    // Once it exists, no flag is needed.
    const second = await runCli(['keys', 'create', '--project', 'acme', '--mode', 'write', '--name', 'web'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toContain('Created project');

    const typo = await runCli(['keys', 'create', '--project', 'acmee', '--mode', 'write'], env);
    expectOneClearLine(typo, 'Project "acmee" does not exist', 'Projects with keys: acme', '--create-project');

    // keys list: a header row, then one row per key; the typo made nothing.
    const list = await runCli(['keys', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    expect(rows[0]).toEqual(['PROJECT', 'CLIENT ID', 'MODE', 'STATE', 'NAME']);
    expect(
      rows
        .slice(1)
        .map((r) => [r[0], r[2], r[3], r[4]])
        .sort(),
    ).toEqual([
      ['acme', 'read', 'active', ''],
      ['acme', 'write', 'active', 'web'],
    ]);
  }, 300_000);

  it.runIf(engine === 'postgres')('DATABASE_URL naming a database that does not exist: suggests createdb', async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = '/groupgraph_no_such_db';
    for (const command of [['migrate'], ['keys', 'list']]) {
      const result = await runCli(command, { DATABASE_URL: url.toString(), DATA_DIR: undefined });
      expectOneClearLine(result, 'database "groupgraph_no_such_db" does not exist', 'createdb groupgraph_no_such_db');
    }
  });

  it.runIf(engine === 'postgres')('a refused connection names the server and DATABASE_URL', async () => {
    const result = await runCli(['keys', 'list'], {
      DATABASE_URL: 'postgresql://postgres:secret@127.0.0.1:1/groupgraph',
      DATA_DIR: undefined,
    });
    expectOneClearLine(
      result,
      'Cannot connect to PostgreSQL at postgresql://postgres:***@127.0.0.1:1/groupgraph',
      'connection refused',
    );
    expect(result.stderr).not.toContain('secret');
  });

  it.runIf(engine === 'pglite')('a DATA_DIR that cannot be used is named, with what to do', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'groupgraph-notadir-'));
    try {
      const file = path.join(dir, 'file');
      writeFileSync(file, '');
      for (const command of [['keys', 'list'], ['migrate']]) {
        const result = await runCli(command, { DATABASE_URL: undefined, DATA_DIR: path.join(file, 'data') });
        expectOneClearLine(result, `Cannot use the data directory DATA_DIR=${path.join(file, 'data')}`, 'Set DATA_DIR');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a port in use: says which port and the PORT variable', async () => {
    const storage = await createServerStorage(); // its own: no other command holds it
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const result = await runCli(['serve'], { ...storage.env, PORT: String(port), HOST: '127.0.0.1' });
      expectOneClearLine(result, `Port ${port} is already in use`, 'PORT=');
    } finally {
      blocker.close();
      await storage.dispose();
    }
  }, 180_000);
});
