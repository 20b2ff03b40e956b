/**
 * Funnels over per-unit step events, with ClickHouse `windowFunnel` semantics
 * (PostHog's too), made exact for repeated step names and equal timestamps.
 *
 * A chain starts at a step-1 event at t₁ in [from, to) and matches steps 2…k
 * with distinct events at t₁ ≤ t₂ ≤ … ≤ t_k ≤ t₁ + window; a unit's level is
 * the longest chain over its step-1 events. Chains are built from the earliest
 * match on: at each timestamp a chain takes as many consecutive steps as
 * distinct events at that timestamp can serve (a small bipartite matching,
 * only needed where timestamps tie), then jumps to the next event matching
 * its next step. Taking the most steps as early as possible is never worse,
 * so this chain reaches the level and each of its step times is the earliest
 * any chain from the same step-1 event reaching that level can have — the
 * "greedy earliest matches" the medians are measured on.
 *
 * Cost: O(events × steps) to index each unit, plus O(steps) jumps per
 * step-1 timestamp in range; no search over combinations.
 */

/** Step events grouped by unit; each unit's events ascending by (time, tie order). */
export interface FunnelEvents {
  /** units + 1 offsets: unit u's events are [unitStart[u], unitStart[u + 1]). */
  readonly unitStart: Int32Array;
  /** Event time in ms since the epoch. */
  readonly times: Float64Array;
  /** Bit i set: the event matches step i (name and step property filters). */
  readonly stepMasks: Uint16Array;
}

export interface FunnelRange {
  steps: number;
  /** Step-1 events must lie in [from, to) (ms). */
  from: number;
  to: number;
  windowMs: number;
}

export interface FunnelUnits {
  readonly steps: number;
  /** Per unit: 0 (no step-1 event in range) … steps. */
  readonly levels: Uint8Array;
  /** Per unit: event index of its chain's step-1 event (the first, in event order, of those reaching its level); −1 at level 0. */
  readonly chainStart: Int32Array;
  /** units × steps: time of each step of the unit's chain; NaN beyond its level. */
  readonly chainTimes: Float64Array;
}

/** Events sharing one timestamp within a unit, reduced to what a matching needs. */
interface TieGroup {
  /** Step masks of its events, each distinct mask kept at most `steps` times (no chain uses more). */
  masks: Uint16Array;
  /** OR of all masks. */
  any: number;
}

/** Most consecutive steps from `firstStep` that distinct events of a tie group can serve. */
function longestRun(group: TieGroup, firstStep: number, steps: number, excludedMask: number): number {
  const { masks } = group;
  const slots = masks.length;
  // owner[slot] = step it serves; the excluded event (a forced step-1 event) is one slot of its mask.
  const owner = new Int8Array(slots).fill(-1);
  if (excludedMask >= 0) owner[masks.indexOf(excludedMask)] = steps;
  const seen = new Uint8Array(slots);
  const augment = (step: number): boolean => {
    for (let slot = 0; slot < slots; slot++) {
      if (seen[slot] || !(masks[slot]! & (1 << step)) || owner[slot] === steps) continue;
      seen[slot] = 1;
      if (owner[slot] === -1 || augment(owner[slot]!)) {
        owner[slot] = step;
        return true;
      }
    }
    return false;
  };
  let run = 0;
  for (let step = firstStep; step < steps; step++) {
    seen.fill(0);
    if (!augment(step)) break;
    run++;
  }
  return run;
}

function tieGroup(stepMasks: Uint16Array, begin: number, end: number, steps: number): TieGroup {
  const kept = new Map<number, number>();
  let any = 0;
  for (let i = begin; i < end; i++) {
    const mask = stepMasks[i]!;
    any |= mask;
    kept.set(mask, Math.min(steps, (kept.get(mask) ?? 0) + 1));
  }
  const masks: number[] = [];
  for (const [mask, times] of kept) for (let k = 0; k < times; k++) masks.push(mask);
  return { masks: Uint16Array.from(masks), any };
}

export function funnelUnits(events: FunnelEvents, range: FunnelRange): FunnelUnits {
  const { unitStart, times, stepMasks } = events;
  const steps = range.steps;
  if (!Number.isInteger(steps) || steps < 1 || steps > 16) throw new RangeError('a funnel has 1 to 16 steps');
  const units = unitStart.length - 1;
  const n = times.length;
  const levels = new Uint8Array(units);
  const chainStart = new Int32Array(units).fill(-1);
  const chainTimes = new Float64Array(units * steps).fill(NaN);
  const groupStart = new Int32Array(n);
  const groupEnd = new Int32Array(n);
  // next[i * steps + s]: first event at or after i (within its unit) matching step s; the unit's end if none.
  const next = new Int32Array(n * steps);
  const ties = new Map<number, TieGroup>(); // by group start, for groups of two or more events

  for (let u = 0; u < units; u++) {
    const begin = unitStart[u]!;
    const end = unitStart[u + 1]!;
    if (begin === end) continue;
    ties.clear();
    for (let i = begin; i < end;) {
      let j = i + 1;
      while (j < end && times[j] === times[i]) j++;
      for (let x = i; x < j; x++) {
        groupStart[x] = i;
        groupEnd[x] = j;
      }
      if (j - i > 1) ties.set(i, tieGroup(stepMasks, i, j, steps));
      i = j;
    }
    for (let s = 0; s < steps; s++) {
      let found = end;
      for (let i = end - 1; i >= begin; i--) {
        if (stepMasks[i]! & (1 << s)) found = i;
        next[i * steps + s] = found;
      }
    }

    /** Level of the chain from the step-1 events at `first`'s timestamp (`forced`: this one event as step 1, or −1: any). */
    const walk = (first: number, forced: number, record: boolean): number => {
      const t1 = times[first]!;
      const limit = t1 + range.windowMs;
      const tied = ties.get(first);
      let level = !tied
        ? 1
        : forced < 0
          ? longestRun(tied, 0, steps, -1)
          : 1 + longestRun(tied, 1, steps, stepMasks[forced]!);
      if (record) chainTimes.fill(t1, u * steps, u * steps + level);
      let at = groupEnd[first]!;
      while (level < steps && at < end) {
        const hit = next[at * steps + level]!;
        if (hit >= end || times[hit]! > limit) break;
        const group = ties.get(groupStart[hit]!);
        const run = group ? longestRun(group, level, steps, -1) : 1;
        if (record) chainTimes.fill(times[hit]!, u * steps + level, u * steps + level + run);
        level += run;
        at = groupEnd[hit]!;
      }
      return level;
    };

    let best = 0;
    let bestFirst = -1;
    let i = begin;
    while (i < end && times[i]! < range.from) i++;
    for (; i < end && times[i]! < range.to; i = groupEnd[i]!) {
      if (!((ties.get(i)?.any ?? stepMasks[i]!) & 1)) continue;
      const level = walk(i, -1, false);
      if (level > best) {
        best = level;
        bestFirst = i;
        if (best === steps) break;
      }
    }
    levels[u] = best;
    if (best === 0) continue;
    // The chain: the first step-1 event at that timestamp that reaches the level on its own.
    for (let e = bestFirst; e < groupEnd[bestFirst]!; e++) {
      if (stepMasks[e]! & 1 && walk(bestFirst, e, true) === best) {
        chainStart[u] = e;
        break;
      }
    }
  }
  return { steps, levels, chainStart, chainTimes };
}

export interface FunnelStepTotals {
  count: number;
  conversionFromStart: number;
  conversionFromPrevious: number;
  dropOff: number;
  medianSecondsFromPrevious: number | null;
}

function allUnits(result: FunnelUnits): Int32Array {
  return Int32Array.from(result.levels.keys());
}

/** Median of ms gaps, in seconds; the mean of the two middle values for an even count. */
function medianSeconds(gaps: Float64Array): number | null {
  if (gaps.length === 0) return null;
  gaps.sort();
  const mid = gaps.length >> 1;
  const ms = gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  return ms / 1000;
}

/** Counts, conversions, drop-off and medians per step, over `members` (unit indexes; default all). */
export function funnelSteps(result: FunnelUnits, members: ArrayLike<number> = allUnits(result)): FunnelStepTotals[] {
  const { steps, levels, chainTimes } = result;
  const atLevel = new Int32Array(steps + 1);
  for (let m = 0; m < members.length; m++) atLevel[levels[members[m]!]!]!++;
  const reached = new Int32Array(steps + 2); // reached[k]: units with level ≥ k
  for (let k = steps; k >= 1; k--) reached[k] = reached[k + 1]! + atLevel[k]!;
  return Array.from({ length: steps }, (_, step) => {
    const count = reached[step + 1]!;
    const first = reached[1]!;
    const previous = step === 0 ? count : reached[step]!;
    let median: number | null = null;
    if (step > 0) {
      const gaps = new Float64Array(count);
      let g = 0;
      for (let m = 0; m < members.length; m++) {
        const u = members[m]!;
        if (levels[u]! > step) gaps[g++] = chainTimes[u * steps + step]! - chainTimes[u * steps + step - 1]!;
      }
      median = medianSeconds(gaps);
    }
    return {
      count,
      conversionFromStart: step === 0 ? 1 : first === 0 ? 0 : count / first,
      conversionFromPrevious: step === 0 ? 1 : previous === 0 ? 0 : count / previous,
      dropOff: step === steps - 1 ? 0 : count - reached[step + 2]!,
      medianSecondsFromPrevious: median,
    };
  });
}

/** Units (ascending indexes) that reached step `step` (0-based) or, with `dropped`, stopped there (none for the last step). */
export function unitsAtStep(
  result: FunnelUnits,
  step: number,
  dropped: boolean,
  members: ArrayLike<number> = allUnits(result),
): Int32Array {
  const out: number[] = [];
  if (dropped && step === result.steps - 1) return new Int32Array(0);
  for (let m = 0; m < members.length; m++) {
    const level = result.levels[members[m]!]!;
    if (dropped ? level === step + 1 : level > step) out.push(members[m]!);
  }
  return Int32Array.from(out).sort();
}

/** EVENT_PROPERTY breakdown: a unit's value is that of its chain's step-1 event (−1 at level 0). */
export function chainStartValues(result: FunnelUnits, eventValues: Int32Array): Int32Array {
  return result.chainStart.map((e) => (e < 0 ? -1 : eventValues[e]!));
}

export interface FunnelSeries {
  /** Breakdown value id; −1: the property is absent. */
  value: number;
  /** Unit indexes, ascending. */
  members: Int32Array;
}

/**
 * Top `limit` breakdown values by step-1 count. Value ids are numbered by the
 * caller in tie-break order (ascending sort order of the values); ties on the
 * count go to the lower id, and the absent value (−1) comes after all others.
 */
export function funnelBreakdown(result: FunnelUnits, unitValues: Int32Array, limit: number): FunnelSeries[] {
  const byValue = new Map<number, number[]>();
  result.levels.forEach((level, u) => {
    if (level === 0) return;
    const value = unitValues[u]!;
    const list = byValue.get(value);
    if (list) list.push(u);
    else byValue.set(value, [u]);
  });
  const last = (v: number) => (v < 0 ? Infinity : v);
  return [...byValue]
    .sort(([a, ua], [b, ub]) => ub.length - ua.length || last(a) - last(b))
    .slice(0, Math.max(0, limit))
    .map(([value, members]) => ({ value, members: Int32Array.from(members) }));
}
