import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  duckFunnel,
  duckLifecycle,
  duckRetention,
  duckStickiness,
  eventsCsv,
  loadEventsCsv,
  loadGroups,
  openDuckDB,
  type DuckUnit,
} from '../bench/analysis-duckdb.ts';
import { funnel, lifecycle, retention, stickiness } from './reference/analysis.ts';
import { DAY, NAMES, WORLD_START, chance, pick, random, randomWorld } from './reference/randomWorld.ts';

// The benchmark's DuckDB answers are only worth timing if they are right: on
// random worlds (UTC, the benchmark's question shapes) they must equal the reference.

const UNITS: DuckUnit[] = [
  { unit: 'PROFILE' },
  { unit: 'GROUP', groupType: 'company' },
  { unit: 'GROUP', groupType: 'team' },
];

describe('the DuckDB answers of the analysis benchmark equal the reference', () => {
  const seen = { funnelDropOff: 0, returned: 0, lifecycleKinds: new Set<string>(), stickinessSpread: 0 };

  // Two worlds keep this test short; ANALYSIS_DUCKDB_SEEDS=20 checks more.
  const seeds = Number(process.env.ANALYSIS_DUCKDB_SEEDS ?? 2);
  for (let seed = 7; seed < 7 + seeds; seed++) {
    it(`seed ${seed}`, async () => {
      const rng = random(seed);
      const world = randomWorld(rng, { events: 3000 });
      const connection = await openDuckDB({ threads: 1 });
      const dir = mkdtempSync(join(tmpdir(), 'duckdb-'));
      try {
        writeFileSync(join(dir, 'events.csv'), eventsCsv(world.events));
        await loadEventsCsv(connection, join(dir, 'events.csv'));
        await loadGroups(
          connection,
          [...world.groups].map(([id, g]) => ({ id, type: g.type })),
        );
        for (const unitChoice of UNITS) {
          const unit = { unit: unitChoice.unit, groupType: unitChoice.unit === 'GROUP' ? unitChoice.groupType : null };
          for (let n = 0; n < 2; n++) {
            const names = [...NAMES].sort(() => rng() - 0.5).slice(0, 3) as [string, string, string];
            const from = new Date(WORLD_START + rng() * 30 * DAY);
            const to = new Date(from.getTime() + (1 + rng() * 20) * DAY);
            const f = { steps: names, from, to, windowSeconds: pick(rng, [3600, 86_400, 7 * 86_400]) };
            const context = JSON.stringify({ unitChoice, f });
            const expectedFunnel = funnel(world, { ...unit, ...f, steps: names.map((name) => ({ name })) });
            expect(await duckFunnel(connection, unitChoice, f, { units: true }), context).toEqual(expectedFunnel);
            if (expectedFunnel.steps[0]!.dropOff > 0 && expectedFunnel.steps[2]!.count > 0) seen.funnelDropOff++;

            // Weeks aligned on Mondays, or not.
            const weekFrom = new Date(
              chance(rng, 0.5) ? WORLD_START + Math.floor(rng() * 2) * 7 * DAY : from.getTime(),
            );
            const weeks = { from: weekFrom, to: new Date(weekFrom.getTime() + (7 + rng() * 40) * DAY) };
            const periods = pick(rng, [2, 4, 8]);
            const expectedRetention = retention(world, { ...unit, ...weeks, interval: 'WEEK', periods });
            expect(await duckRetention(connection, unitChoice, { ...weeks, periods, now: world.now }), context).toEqual(
              expectedRetention,
            );
            if (expectedRetention.cohorts.some((c) => c.values.at(-1)! > 0)) seen.returned++;

            const expectedLifecycle = lifecycle(world, { ...unit, ...weeks, interval: 'WEEK' });
            expect(await duckLifecycle(connection, unitChoice, weeks), context).toEqual(expectedLifecycle);
            for (const row of expectedLifecycle.buckets)
              for (const kind of ['new', 'returning', 'resurrecting', 'dormant'] as const)
                if (row[kind] > 0) seen.lifecycleKinds.add(kind);

            const days = { from, to: new Date(from.getTime() + (1 + rng() * 30) * DAY) };
            const expectedStickiness = stickiness(world, { ...unit, ...days, interval: 'DAY' });
            expect(await duckStickiness(connection, unitChoice, days), context).toEqual(expectedStickiness);
            if (expectedStickiness.counts.filter((c) => c > 0).length >= 2) seen.stickinessSpread++;
          }
        }
      } finally {
        connection.closeSync();
        rmSync(dir, { recursive: true });
      }
    });
  }

  it('the questions had answers worth comparing', () => {
    expect(seen.funnelDropOff).toBeGreaterThan(1);
    expect(seen.returned).toBeGreaterThan(1);
    expect(seen.lifecycleKinds.size).toBe(4);
    expect(seen.stickinessSpread).toBeGreaterThan(3);
  });
});
