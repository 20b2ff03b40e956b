import type { CreatedKey } from '../../src/services/keys.ts';
import { keyHeaders } from './http.ts';

// One project's heavy analysis against another's cheap reads, over HTTP. No
// vitest here: bench/fairness.ts and test/hostile.test.ts both use it.

/** The heavy query of the attack: hourly over 124 days, 33 groups, as `aliases` aliases. */
export function heavyQuery(aliases: number, to = new Date()): string {
  const from = new Date(to.getTime() - 124 * 24 * 3600 * 1000);
  const field = (i: number) =>
    `a${i}: eventAggregation(input: { metric: EVENTS, interval: HOUR, from: "${from.toISOString()}", to: "${to.toISOString()}", breakdown: GROUP, limit: 33 }) { total series { key points { bucket value } } }`;
  return `{ ${Array.from({ length: aliases }, (_, i) => field(i)).join(' ')} }`;
}

/** Kept-alive connections the server closed just as a request was sent (counted, then sent again). */
export const resets = { count: 0 };

async function post(url: string, key: CreatedKey, query: string): Promise<{ status: number; body: any }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...keyHeaders(key) },
        body: JSON.stringify({ query }),
      });
      const text = await response.text();
      try {
        return { status: response.status, body: JSON.parse(text) };
      } catch {
        return { status: response.status, body: { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] } };
      }
    } catch (error) {
      // The race of HTTP keep-alive: the server closed an idle connection as
      // the client reused it. Not an answer of the server; send it again.
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (attempt < 3 && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE')) {
        resets.count++;
        continue;
      }
      throw error;
    }
  }
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Latencies (ms) of `samples` sequential `group(id)` reads of project B (fewer, at least 5, once `budgetMs` has passed). */
export async function cheapReads(
  url: string,
  key: CreatedKey,
  groupId: string,
  samples: number,
  budgetMs = Infinity,
): Promise<number[]> {
  const deadline = performance.now() + budgetMs;
  const query = `{ group(id: ${JSON.stringify(groupId)}) { id name memberCount } }`;
  const latencies: number[] = [];
  for (let i = 0; i < samples && (i < 5 || performance.now() < deadline); i++) {
    const started = performance.now();
    const answer = await post(url, key, query);
    latencies.push(performance.now() - started);
    if (answer.status !== 200 || answer.body.errors || answer.body.data.group?.id !== groupId) {
      throw new Error(`the cheap read failed: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
  }
  return latencies;
}

export interface Load {
  /** Resolves when every worker has stopped, with what they saw. */
  stop(): Promise<{ completed: number; refused: number; durations: number[]; statuses: Record<string, number> }>;
}

/** `workers` loops, each sending the heavy query back to back until stopped. */
export function heavyLoad(url: string, key: CreatedKey, workers: number, aliases: number): Load {
  let running = true;
  const durations: number[] = [];
  const statuses: Record<string, number> = {};
  let refused = 0;
  const loop = async () => {
    while (running) {
      const started = performance.now();
      const answer = await post(url, key, heavyQuery(aliases));
      const code = answer.body.errors?.[0]?.extensions?.code as string | undefined;
      const label = `${answer.status}${code ? ` ${code}` : ''}`;
      statuses[label] = (statuses[label] ?? 0) + 1;
      if (answer.status === 200 && !code) durations.push(performance.now() - started);
      // Turned away with a retry hint: the gate's queue was full, or the pool busy.
      else if (code === 'RATE_LIMITED' || code === 'UNAVAILABLE') refused++;
      else throw new Error(`a heavy query failed: ${label} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { completed: durations.length, refused, durations, statuses };
    },
  };
}
