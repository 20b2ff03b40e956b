// How a page says it is waiting or what went wrong: never a blank page.
import { useContext, useEffect, useState } from 'preact/hooks';

import type { Problem, QueryState } from './api.ts';
import { SessionContext } from './session.ts';

function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export function problemText(problem: Problem): string {
  const detail = `${problem.status ? `HTTP ${problem.status}, ` : ''}${problem.code}: ${problem.message}`;
  switch (problem.kind) {
    case 'unauthenticated':
      return `The server does not accept this key (${detail}). It may have been revoked.`;
    case 'forbidden':
      return `This key may not read this (${detail}). Sign in with a read or root key.`;
    case 'unavailable':
      return `The server is unavailable right now (${detail}).`;
    default:
      return `The request failed (${detail}).`;
  }
}

/** The problem of a query, with the retry countdown and what the reader can do. */
export function ProblemBanner({ state }: { state: Pick<QueryState<unknown>, 'problem' | 'retryAt' | 'retry'> }) {
  const session = useContext(SessionContext);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!state.retryAt) return;
    const tick = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(tick);
  }, [state.retryAt]);
  const { problem } = state;
  if (!problem) return null;
  return (
    <div class={`banner banner-${problem.kind}`} role="alert">
      <p>{problemText(problem)}</p>
      <p class="banner-actions">
        {state.retryAt ? <span aria-live="polite">Retrying in {secondsUntil(state.retryAt, now)} s…</span> : null}
        <button type="button" onClick={state.retry}>
          Retry now
        </button>
        {session && (problem.kind === 'unauthenticated' || problem.kind === 'forbidden') && (
          <button type="button" onClick={session.signOut}>
            Sign in with another key
          </button>
        )}
      </p>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}
