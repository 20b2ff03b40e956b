import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import type { StatementListener } from './statementCounter.ts';

/**
 * Records every distinct SQL text a process sends, one JSON string per line in
 * `<dir>/<pid>.jsonl` (SQL_STATEMENT_LOG). The test suite turns it on for every
 * database it opens and every server process it starts, then checks afterwards
 * that each statement touching a tenant table is scoped to one project (the
 * promise that lets the schema be distributed by project; see docs/scale-out.md).
 * Synchronous appends keep the file complete even when a test SIGKILLs the process.
 */
export function statementRecorder(dir: string): StatementListener {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}.jsonl`);
  const seen = new Set<string>();
  return (sql) => {
    if (seen.has(sql)) return;
    seen.add(sql);
    appendFileSync(file, `${JSON.stringify(sql)}\n`);
  };
}

/** Both listeners, either of which may be missing. */
export function bothListeners(a?: StatementListener, b?: StatementListener): StatementListener | undefined {
  if (!a) return b;
  if (!b) return a;
  return (sql) => {
    a(sql);
    b(sql);
  };
}
