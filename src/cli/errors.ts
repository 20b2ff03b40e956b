/** A command line that makes no sense (unknown command, missing or bad option): reported with the usage text, exit code 2. */
export class UsageError extends Error {}

/** A well-formed command that cannot be carried out as asked (e.g. demo data for a project that has it): the message alone, exit code 1. */
export class CommandError extends Error {}

/** `parseArgs` of node:util throws a TypeError coded ERR_PARSE_ARGS_* for an unknown or malformed option. */
export function isParseArgsError(error: unknown): error is TypeError {
  return error instanceof TypeError && String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}
