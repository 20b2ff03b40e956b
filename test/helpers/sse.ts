import type { CreatedKey } from '../../src/services/keys.ts';
import { keyHeaders, type GraphQLResponse } from './http.ts';

// A GraphQL subscription over Server-Sent Events (the graphql-sse protocol's
// distinct connections mode, which Yoga serves on /graphql). No vitest here:
// bench/ imports it.

export type SseMessage = { event: 'next'; data: GraphQLResponse } | { event: 'complete' };

export interface Subscription {
  /** The HTTP status of the stream's response. */
  status: number;
  /** The next message; rejects when none arrives within `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseMessage>;
  close(): Promise<void>;
}

export async function subscribe(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  key: Pick<CreatedKey, 'clientId' | 'clientSecret'>,
  fetchFn: (url: string, init: RequestInit) => Promise<Response> = fetch,
): Promise<Subscription> {
  const abort = new AbortController();
  const response = await fetchFn(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...keyHeaders(key) },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const messages: SseMessage[] = [];
  let wake: (() => void) | undefined;
  let ended = false;

  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const event = lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim();
          const data = lines
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('\n');
          if (event === 'next') messages.push({ event, data: JSON.parse(data) as GraphQLResponse });
          else if (event === 'complete') messages.push({ event });
          else if (!event && data) messages.push({ event: 'next', data: JSON.parse(data) as GraphQLResponse });
          wake?.();
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true;
      wake?.();
    }
  })();

  const waitFor = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, timeoutMs);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  return {
    status: response.status,
    async next(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length === 0) {
        if (ended) throw new Error('the stream ended without another message');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
        await waitFor(left);
      }
      return messages.shift()!;
    },
    async close() {
      abort.abort();
      await reader.cancel().catch(() => {});
    },
  };
}
