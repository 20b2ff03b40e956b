import type { Prisma, PrismaClient } from '../../../generated/prisma/client.ts';
import { compareBytes } from './order.ts';
import { fromWidthBucket, type AnalysisBuckets } from './buckets.ts';
import type { UnitBucketsRow, UnitFirstRow } from './sql.ts';

/** Numbers units 0 … n − 1 in the order they are first seen, and keeps lists per unit. */
export class UnitIndex {
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();

  of(id: string): number {
    let index = this.byId.get(id);
    if (index === undefined) {
      index = this.ids.length;
      this.ids.push(id);
      this.byId.set(id, index);
    }
    return index;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Ids in bytewise order, as lists of units are answered. */
  sortedIds(indexes: Iterable<number>): string[] {
    return [...indexes].map((i) => this.ids[i]!).sort(compareBytes);
  }
}

/** Runs the reads of one analysis in one transaction (one snapshot; JIT off, as for eventAggregation). */
export async function runReads(prisma: PrismaClient, statements: readonly Prisma.Sql[]): Promise<unknown[][]> {
  const [, ...results] = await prisma.$transaction([
    prisma.$executeRaw`SET LOCAL jit = off`,
    ...statements.map((sql) => prisma.$queryRaw<unknown[]>(sql)),
  ]);
  return results as unknown[][];
}

export const firstRows = (rows: readonly unknown[]): UnitFirstRow[] => rows as UnitFirstRow[];

/** Per-unit lists of bucket indexes of `buckets`, numbered by `index`; units of `index` without a row get []. */
export function listsByUnit(index: UnitIndex, buckets: AnalysisBuckets, rows: readonly unknown[]): number[][] {
  const lists: number[][] = [];
  for (const row of rows as UnitBucketsRow[]) {
    const list = (lists[index.of(row.unit)] ??= []);
    for (const b of row.bs) list.push(fromWidthBucket(buckets, Number(b)));
  }
  for (let u = 0; u < index.size; u++) lists[u] ??= [];
  return lists;
}
