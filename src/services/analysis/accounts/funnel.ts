import type { PrismaClient } from '../../../generated/prisma/client.ts';
import {
  chainStartValues,
  funnelBreakdown,
  funnelSteps,
  funnelUnits,
  unitsAtStep,
  type FunnelStepTotals,
  type FunnelUnits,
} from '../compute/funnel.ts';
import { runReads } from './activity.ts';
import type { FunnelQuestion } from './input.ts';
import { compareBytes } from './order.ts';
import { funnelEventsSql, type FunnelUnitRow } from './sql.ts';

// Funnels: read each unit's step events (only events of the step names, from
// `from` to the end of the last window) in one statement, then find each
// unit's level with the pure windowFunnel of ../compute/funnel.ts.

export interface FunnelStepAnswer extends FunnelStepTotals {
  index: number;
  name: string;
  /** Unit ids in bytewise order: those reaching this step, or (dropped) those stopping here. */
  units(dropped: boolean): string[];
}

export interface FunnelAnswer {
  steps: FunnelStepAnswer[];
  breakdowns: { value: string | null; steps: FunnelStepAnswer[] }[];
}

/** The events of the rows as compute/funnel.ts takes them; units numbered in row order (bytewise by id). */
function funnelEvents(rows: readonly FunnelUnitRow[]) {
  const unitStart = new Int32Array(rows.length + 1);
  rows.forEach((row, u) => (unitStart[u + 1] = unitStart[u]! + row.times.length));
  const times = new Float64Array(unitStart[rows.length]!);
  const stepMasks = new Uint16Array(times.length);
  rows.forEach((row, u) => {
    times.set(row.times.map(Number), unitStart[u]!);
    stepMasks.set(row.masks.map(Number), unitStart[u]!);
  });
  return { unitStart, times, stepMasks };
}

/** Numbers distinct breakdown values 0 … in bytewise order (the tie-break order); null is −1. */
function valueIds(values: readonly (string | null)[]): { ids: Int32Array; names: string[] } {
  const names = [...new Set(values.filter((v): v is string => v !== null))].sort(compareBytes);
  const byName = new Map(names.map((name, i) => [name, i]));
  return { ids: Int32Array.from(values, (v) => (v === null ? -1 : byName.get(v)!)), names };
}

export async function answerFunnel(prisma: PrismaClient, projectId: string, q: FunnelQuestion): Promise<FunnelAnswer> {
  const sql = funnelEventsSql(projectId, q, {
    steps: q.steps,
    filter: q.filter,
    from: q.from,
    until: new Date(q.to.getTime() + q.windowMs),
    eventProperty: q.breakdown === 'EVENT_PROPERTY' ? q.breakdownProperty : null,
    groupProperty: q.breakdown === 'GROUP_PROPERTY' ? q.breakdownProperty : null,
  });
  const [rows] = (await runReads(prisma, [sql])) as [FunnelUnitRow[]];
  const ids = rows.map((r) => r.unit);
  const result = funnelUnits(funnelEvents(rows), {
    steps: q.steps.length,
    from: q.from.getTime(),
    to: q.to.getTime(),
    windowMs: q.windowMs,
  });
  const stepsOf = (members?: Int32Array): FunnelStepAnswer[] =>
    funnelSteps(result, members).map((totals, index) => ({
      ...totals,
      index,
      name: q.steps[index]!.name,
      units: (dropped) => unitIdsAt(result, ids, index, dropped, members),
    }));
  const answer: FunnelAnswer = { steps: stepsOf(), breakdowns: [] };
  if (q.breakdown) {
    const { ids: unitValues, names } =
      q.breakdown === 'EVENT_PROPERTY'
        ? (() => {
            const events = valueIds(rows.flatMap((r) => r.values ?? []));
            return { ids: chainStartValues(result, events.ids), names: events.names };
          })()
        : valueIds(rows.map((r) => r.groupValue));
    answer.breakdowns = funnelBreakdown(result, unitValues, q.limit).map((series) => ({
      value: series.value < 0 ? null : names[series.value]!,
      steps: stepsOf(series.members),
    }));
  }
  return answer;
}

function unitIdsAt(
  result: FunnelUnits,
  ids: readonly string[],
  step: number,
  dropped: boolean,
  members?: Int32Array,
): string[] {
  // Units are numbered in bytewise id order, so ascending indexes are ids in order.
  return Array.from(unitsAtStep(result, step, dropped, members), (u) => ids[u]!);
}
