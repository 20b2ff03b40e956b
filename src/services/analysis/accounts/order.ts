/**
 * Bytewise order of UTF-8 text, as PostgreSQL's collation "C" sorts it: how
 * lists of unit ids and breakdown values are ordered, whatever the database's
 * collation (JavaScript's own string order differs beyond the BMP).
 */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
