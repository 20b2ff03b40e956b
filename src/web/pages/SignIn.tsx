// Sign-in: a read or root key's client id and secret, checked with one query
// before they are kept. A write key answers that query with FORBIDDEN: it may
// send events but read nothing, so it is refused with the way to get a read key.
import { useState } from 'preact/hooks';

import { DashboardSessionDocument } from '../../sdk/generated/operations.ts';
import { createClient, describeProblem } from '../api.ts';
import type { Key } from '../pageConfig.ts';
import { problemText } from '../Status.tsx';
import { useTitle } from '../title.ts';

function refusal(error: unknown): string {
  const problem = describeProblem(error);
  switch (problem.kind) {
    case 'forbidden':
      return 'This is a write key: it can send events but not read them, so it cannot open the dashboard. Sign in with a read or root key (npx groupgraph keys create --project <project> --mode read).';
    case 'unauthenticated':
      return 'No key has this client id and secret (or it was revoked). Check both: a secret is shown only once, when its key is created.';
    default:
      return problemText(problem);
  }
}

export function SignIn({ prefill, onSignedIn }: { prefill?: Key; onSignedIn(key: Key): void }) {
  useTitle('Sign in');
  const [clientId, setClientId] = useState(prefill?.clientId ?? '');
  const [clientSecret, setClientSecret] = useState(prefill?.clientSecret ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(event: Event) {
    event.preventDefault();
    const key = { clientId: clientId.trim(), clientSecret: clientSecret.trim() };
    setBusy(true);
    setError(undefined);
    try {
      await createClient(key, location.origin).request(DashboardSessionDocument);
      onSignedIn(key);
    } catch (caught) {
      setError(refusal(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1>groupgraph</h1>
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <h2>Sign in with a read or root key</h2>
        <p id="sign-in-help">
          The key stays in this tab (session storage) and goes only to this server. Make one with{' '}
          <code>npx groupgraph keys create --project &lt;project&gt; --mode read</code>.
        </p>
        {prefill && (
          <p class="note">
            Prefilled with this server's development root key: a browser on the server's own machine gets it, and only
            outside production.
          </p>
        )}
        <label>
          Client id
          <input
            name="clientId"
            value={clientId}
            onInput={(e) => setClientId(e.currentTarget.value)}
            required
            autocomplete="username"
            spellcheck={false}
          />
        </label>
        <label>
          Client secret
          <input
            name="clientSecret"
            type="password"
            value={clientSecret}
            onInput={(e) => setClientSecret(e.currentTarget.value)}
            required
            autocomplete="current-password"
          />
        </label>
        {error && (
          <p class="banner banner-refused" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
