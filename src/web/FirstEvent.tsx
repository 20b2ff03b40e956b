// A fresh install has no events: how to send the first one, with this server's
// URL filled in, from the shell, our SDK and OpenPanel's.

function snippets(origin: string) {
  const key = `# A write key for your app (its secret is shown once; a fresh install's project is "default")
npx groupgraph keys create --project default --mode write
export CLIENT_ID=… CLIENT_SECRET=…`;
  const curl = `curl -s ${origin}/graphql -H 'content-type: application/json' \\
  -H "openpanel-client-id: $CLIENT_ID" -H "openpanel-client-secret: $CLIENT_SECRET" \\
  -d '{"query":"mutation { track(input: { name: \\"signed_up\\", profileId: \\"user_123\\", groups: [\\"org_acme\\"] }) { event { id groupIds } } }"}'`;
  const sdk = `import { GroupGraph } from 'groupgraph/client';

const op = new GroupGraph({ url: '${origin}', clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET });
op.identify({ profileId: 'user_123', email: 'jane@acme.com' });
op.upsertGroup({ id: 'org_acme', type: 'company', name: 'Acme Inc', properties: { plan: 'pro' } });
op.setGroup('org_acme');
op.track('signed_up'); // → groups: ['org_acme']
await op.flush();`;
  const openpanel = `import { OpenPanel } from '@openpanel/sdk';

const op = new OpenPanel({ apiUrl: '${origin}', clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET });
op.identify({ profileId: 'user_123', email: 'jane@acme.com' });
op.upsertGroup({ id: 'org_acme', type: 'company', name: 'Acme Inc', properties: { plan: 'pro' } });
op.setGroup('org_acme');
op.track('signed_up'); // → groups: ['org_acme']`;
  return { key, curl, sdk, openpanel };
}

export function FirstEvent({ origin, onCheckAgain }: { origin: string; onCheckAgain(): void }) {
  const s = snippets(origin);
  return (
    <section class="first-event" aria-labelledby="first-event-title">
      <h2 id="first-event-title">No events yet: send the first one</h2>
      <p>
        This project has not received an event. Create a write key, then send an event from the shell, from the
        groupgraph SDK or from an app already instrumented with OpenPanel. Demo data instead:{' '}
        <code>npx groupgraph seed --demo</code> (with the server stopped).
      </p>
      <pre>
        <code>{s.key}</code>
      </pre>
      <h3>curl</h3>
      <pre>
        <code>{s.curl}</code>
      </pre>
      <h3>groupgraph SDK</h3>
      <pre>
        <code>{s.sdk}</code>
      </pre>
      <h3>OpenPanel SDK</h3>
      <pre>
        <code>{s.openpanel}</code>
      </pre>
      <p>
        <button type="button" onClick={onCheckAgain}>
          Check again
        </button>
      </p>
    </section>
  );
}
