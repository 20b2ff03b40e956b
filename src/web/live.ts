// A GraphQL subscription over Server-Sent Events, as the server offers it: a
// POST to /graphql with `accept: text/event-stream` answers with a stream of
// `event: next` messages (each a GraphQL result) and a final `event: complete`.
// EventSource cannot send the key's headers or a POST body, so this reads the
// stream with fetch; a client library for a few dozen lines of parsing would be
// the larger dependency. When the stream ends or fails it reconnects with
// backoff, so a restarted server or a dropped connection heals by itself.
import { useContext, useEffect, useState } from 'preact/hooks';

import type { TypedDocument } from '../sdk/client.ts';
import { GroupGraphError } from '../sdk/errors.ts';
import { describeProblem, retryDelayMs, type Problem } from './api.ts';
import { SessionContext } from './session.ts';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

interface SseMessage {
  event: string;
  data: string;
}

/** Splits the text read so far into whole messages and the unfinished rest. */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // a comment: the server's keep-alive
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || event !== 'message') messages.push({ event, data: data.join('\n') });
  }
  return { messages, rest };
}

/**
 * Subscribes with the signed-in key while mounted; `onData` gets each result's
 * `data`. Returns the connection's status and the last problem, if any.
 */
export function useSubscription<TResult, TVariables>(
  document: TypedDocument<TResult, TVariables>,
  variables: TVariables,
  onData: (data: TResult) => void,
): { status: LiveStatus; problem?: Problem; retryAt?: number } {
  const session = useContext(SessionContext);
  const [state, setState] = useState<{ status: LiveStatus; problem?: Problem; retryAt?: number }>({
    status: 'connecting',
  });
  const key = JSON.stringify(variables);

  useEffect(() => {
    if (!session) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const query = document.toString();

    const reconnect = (problem: Problem | undefined) => {
      if (abort.signal.aborted) return;
      failures++;
      const delay = retryDelayMs(
        problem ?? { kind: 'unavailable', code: 'STREAM_ENDED', message: 'The live stream ended.' },
        failures,
      );
      setState({ status: 'reconnecting', retryAt: Date.now() + delay, ...(problem ? { problem } : {}) });
      timer = setTimeout(() => void connect(), delay);
    };

    const connect = async () => {
      setState((s) => ({ ...s, status: s.status === 'live' ? 'reconnecting' : s.status }));
      let problem: Problem | undefined;
      try {
        const response = await fetch(new URL('/graphql', location.origin), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            'openpanel-client-id': session.key.clientId,
            'openpanel-client-secret': session.key.clientSecret,
          },
          body: JSON.stringify({ query, variables }),
          signal: abort.signal,
        });
        if (!response.ok || !response.body) {
          const text = await response.text();
          let code = `HTTP_${response.status}`;
          let message = text.slice(0, 200);
          try {
            const error = (JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[] })
              .errors?.[0];
            if (error) [code, message] = [error.extensions?.code ?? code, error.message];
          } catch {
            // not JSON: the text itself is the message
          }
          throw new GroupGraphError(code, message, { status: response.status, retryable: true });
        }
        failures = 0;
        setState({ status: 'live' });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseSse(buffer + value);
          buffer = parsed.rest;
          for (const message of parsed.messages) {
            if (message.event === 'complete') continue; // the stream ends next
            const result = JSON.parse(message.data) as { data?: TResult; errors?: { message: string }[] };
            if (result.errors?.length) {
              problem = describeProblem(new GroupGraphError('SUBSCRIPTION_ERROR', result.errors[0]!.message));
            } else if (result.data) onData(result.data);
          }
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        problem = describeProblem(error);
      }
      reconnect(problem);
    };

    void connect();
    return () => {
      abort.abort();
      if (timer) clearTimeout(timer);
    };
    // `key` stands for `variables`; the document of a call site never changes.
  }, [session, document, key]);

  return state;
}
