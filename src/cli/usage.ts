// The usage text of every command and subcommand. Kept apart from the commands
// so `--help` and usage errors load nothing else (no database driver, no schema).

export const USAGE = `groupgraph — typed GraphQL analytics for groups

Usage:
  groupgraph serve                       serve /graphql, /track and /health (PORT, HOST, DATABASE_URL, DATA_DIR)
  groupgraph migrate                     apply pending migrations and exit
  groupgraph keys create --project <id> --mode <write|read|root> [--name <text>] [--create-project] [--json]
  groupgraph keys list [--project <id>] [--json]
  groupgraph keys revoke <clientId>
  groupgraph origins list --project <id> [--json]
  groupgraph origins add|remove --project <id> <origin>...   browsers on these origins may send /track
                                         with a write key's client id alone (e.g. https://app.example.com)
  groupgraph schema print                write schema/schema.graphql
  groupgraph schema check                fail when schema/schema.graphql is stale
  groupgraph seed --demo [--events <n>] [--project <id>] [--days <n>] [--seed <n>]
                                         realistic demo data (default 100,000 events, project default)
  groupgraph check [--project <id>] [--json]   compare every derived table with the events; exit code 1 on differences
  groupgraph backfill --group <id> [--profile <id>]... [--from <time>] [--to <time>] [--project <id>]
                                         tag members' past events with the group (progress bar)
  groupgraph citus plan|distribute       distribute the schema by project on a Citus cluster (docs/scale-out.md)

Every command answers --help.
`;

/** Per command (and `keys create` style subcommand): what `--help` prints. */
export const COMMAND_USAGE: Record<string, string> = {
  serve: `Usage: groupgraph serve

Serves /graphql, the dashboard, /track and /health. Configured by environment:
  PORT (default 4000), HOST (default 0.0.0.0),
  DATABASE_URL (PostgreSQL; unset: the embedded database in DATA_DIR, default ./.data).
Applies pending migrations first.`,
  migrate: `Usage: groupgraph migrate

Applies pending migrations (DATABASE_URL or DATA_DIR) and exits.`,
  keys: `Usage:
  groupgraph keys create --project <id> --mode <write|read|root> [--name <text>] [--create-project] [--json]
  groupgraph keys list [--project <id>] [--json]
  groupgraph keys revoke <clientId>`,
  'keys create': `Usage: groupgraph keys create --project <id> --mode <write|read|root> [--name <text>] [--create-project] [--json]

Creates a key and prints its secret once.
  --mode write            ingests (track, identify, upsertGroup, setGroups…); reads back ids only
  --mode read             queries
  --mode root             both, plus dashboard edits
  --create-project        create the project when it does not exist yet (otherwise an unknown
                          project is an error; on a terminal you are asked instead)
  --json                  print the key as JSON`,
  'keys list': `Usage: groupgraph keys list [--project <id>] [--json]

Lists keys (all projects, or one), revoked ones included. Secrets are never shown.`,
  'keys revoke': `Usage: groupgraph keys revoke <clientId>

Revokes a key at once; requests with it get UNAUTHENTICATED.`,
  origins: `Usage:
  groupgraph origins list --project <id> [--json]
  groupgraph origins add|remove --project <id> <origin>...

Browsers on these origins may send /track with a write key's client id alone.`,
  check: `Usage: groupgraph check [--project <id>] [--json]

Recomputes every derived table (group index, rollups, activity days) of one project (default: default)
from its raw events and reports the differences; exit code 1 when there are any.`,
  backfill: `Usage: groupgraph backfill --group <id> [--profile <id>]... [--from <time>] [--to <time>] [--project <id>]

Tags past events of the group's members (or of the given profiles) with the group, in chunks of at most
10,000 events each committed on its own; never removes a tag, and running it again tags nothing new.`,
  citus: `Usage:
  groupgraph citus plan          print the statements that distribute the schema by project
  groupgraph citus distribute    run them on DATABASE_URL (needs the citus extension; safe to repeat)

See docs/scale-out.md.`,
  schema: `Usage:
  groupgraph schema print    write schema/schema.graphql
  groupgraph schema check    fail when schema/schema.graphql is stale`,
  seed: `Usage: groupgraph seed --demo [--events <n>] [--project <id>] [--days <n>] [--seed <n>]

Loads realistic demo data into one project (default: default) of the configured database.
  --events <n>   events to make (default 100,000)
  --days <n>     days of history (default 90)
  --seed <n>     random seed (default 1): the same seed makes the same data`,
};

/** The usage for a command line: the subcommand's when it has one, else the command's, else everything. */
export function usageFor(command: string | undefined, subcommand?: string): string {
  return (
    (subcommand && COMMAND_USAGE[`${command} ${subcommand}`]) || (command && COMMAND_USAGE[command]) || USAGE.trimEnd()
  );
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
