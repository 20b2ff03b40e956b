import { UnauthenticatedError } from '../services/errors.ts';

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Reads the OpenPanel headers (`openpanel-client-id` / `openpanel-client-secret`)
 * or `Authorization: Bearer <clientId>:<clientSecret>`.
 */
export function readCredentials(headers: Headers): Credentials {
  const clientId = headers.get('openpanel-client-id');
  const clientSecret = headers.get('openpanel-client-secret');
  if (clientId && clientSecret) return { clientId, clientSecret };

  const authorization = headers.get('authorization');
  const bearer = authorization?.match(/^Bearer\s+([^:\s]+):(\S+)$/i);
  if (bearer) return { clientId: bearer[1]!, clientSecret: bearer[2]! };

  if (clientId || authorization) {
    throw new UnauthenticatedError(
      'Malformed credentials: send openpanel-client-id and openpanel-client-secret, or Authorization: Bearer <clientId>:<clientSecret>',
    );
  }
  throw new UnauthenticatedError(
    'Missing credentials: send openpanel-client-id and openpanel-client-secret headers (create a key with `groupgraph keys create`)',
  );
}
