/** What the server knows about the connection beyond the Request. */
export interface Connection {
  remoteAddress?: string;
}

/** The socket of a request served by node:http (absent when the app is called in-process). */
export function connectionOf(serverContext: unknown): Connection {
  const socket = (serverContext as { req?: { socket?: { remoteAddress?: string } } } | undefined)?.req?.socket;
  return { remoteAddress: socket?.remoteAddress };
}

/**
 * The client's IP. Behind a reverse proxy (TRUST_PROXY) it is the first
 * X-Forwarded-For hop (or X-Real-IP); otherwise those headers are ignored —
 * any client could set them — and the socket's address is used.
 */
export function clientIp(request: Request, connection: Connection, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || request.headers.get('x-real-ip');
    if (forwarded) return forwarded;
  }
  return connection.remoteAddress ?? '';
}
