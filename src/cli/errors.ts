import { ConfigError } from '../config.ts';
import { DataDirLockedError } from '../db/dataDirLock.ts';
import { MigrationError } from '../db/migrator.ts';
import { AppError } from '../services/errors.ts';

/**
 * A command line that makes no sense (unknown command, missing or bad option):
 * reported as one line plus the usage of the command it concerns, exit code 2.
 */
export class UsageError extends Error {}

/** A well-formed command that cannot be carried out as asked (e.g. demo data for a project that has it): the message alone, exit code 1. */
export class CommandError extends Error {}

/** `parseArgs` of node:util throws a TypeError coded ERR_PARSE_ARGS_* for an unknown or malformed option. */
export function isParseArgsError(error: unknown): error is TypeError {
  return error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}

interface SystemErrorLike {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  path?: unknown;
  address?: unknown;
  port?: unknown;
  message: string;
  errors?: unknown;
}

/** DATABASE_URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(DATABASE_URL is not a URL)';
  }
}

function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
  } catch {
    return '<name>';
  }
}

export interface ErrorContext {
  databaseUrl?: string;
  dataDir?: string;
  port?: number;
  host?: string;
}

/**
 * One line (or two) for an everyday mistake — a database that does not exist,
 * a server that is not running, a port in use, a data directory that cannot be
 * used — saying what to do about it. Undefined for anything else, which then
 * keeps its stack trace: that is a bug to report.
 */
export function describeEverydayError(error: unknown, context: ErrorContext): string | undefined {
  if (!(error instanceof Error)) return undefined;
  // Errors whose class says the message is already meant for the person at the
  // terminal; coded application errors (NOT_FOUND, VALIDATION_FAILED…) too. These
  // modules load nothing heavy (no driver, no schema).
  if (
    error instanceof CommandError ||
    error instanceof ConfigError ||
    error instanceof MigrationError ||
    error instanceof DataDirLockedError ||
    error instanceof AppError
  ) {
    return error.message;
  }
  const e = error as SystemErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const url = context.databaseUrl;
  const where = url ? redactedUrl(url) : undefined;
  switch (code) {
    case '3D000': {
      const name = databaseName(url ?? '');
      return `${e.message} (DATABASE_URL=${where}). Create it first: createdb ${name}   (or: psql -c 'CREATE DATABASE "${name}"')`;
    }
    case '28P01':
    case '28000':
      return `PostgreSQL refused the login (${e.message}). Check the user and password in DATABASE_URL=${where}.`;
    case 'ECONNREFUSED':
      return url
        ? `Cannot connect to PostgreSQL at ${where}: connection refused. Is it running and listening there? Check DATABASE_URL, or unset it to use the embedded database.`
        : `Connection refused: ${e.message}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot resolve the host of DATABASE_URL=${where}. Check the host name.`;
    case 'ETIMEDOUT':
      return `Connecting to ${where ?? 'the database'} timed out. Check DATABASE_URL and the network.`;
    case 'EADDRINUSE': {
      const port = typeof e.port === 'number' ? e.port : context.port;
      return `Port ${port} is already in use${context.host ? ` on ${context.host}` : ''} (another groupgraph or another server). Stop it, or choose another port: PORT=${(port ?? 4000) + 1} npx groupgraph serve`;
    }
    case 'EACCES':
    case 'EPERM':
    case 'ENOTDIR':
    case 'EROFS':
    case 'EISDIR':
    case 'ENOSPC': {
      if (e.syscall === 'listen' || e.syscall === 'bind') {
        return `Not allowed to listen on port ${context.port} (${code}): ports below 1024 need privileges. Set PORT to 1024 or higher.`;
      }
      const dir = context.dataDir;
      const file = typeof e.path === 'string' ? e.path : undefined;
      if (dir && !url && (!file || file.startsWith(dir) || dir.startsWith(file))) {
        const reason =
          code === 'ENOTDIR' || code === 'EISDIR'
            ? 'a path in it is not a directory'
            : code === 'ENOSPC'
              ? 'the disk is full'
              : code === 'EROFS'
                ? 'it is on a read-only file system'
                : 'permission denied';
        return `Cannot use the data directory DATA_DIR=${dir}: ${reason}${file && file !== dir ? ` (${file})` : ''}. Set DATA_DIR to a directory this user can write, or fix its permissions.`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
