import { isIPv4 } from 'node:net';

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (::ffff:127.0.0.1). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const unmapped = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  return unmapped === '::1' || (isIPv4(unmapped) && unmapped.startsWith('127.'));
}

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

/**
 * Whether the request comes from a browser on this machine, talking to this
 * machine by name: the connection is from a loopback address, no proxy says it
 * relays someone else (a reverse proxy on this host connects from loopback), and
 * the Host header is a loopback name — so a web page that rebinds its own DNS
 * name to 127.0.0.1 does not count.
 */
export function isLocalRequest(request: Request, remoteAddress: string | undefined): boolean {
  if (!isLoopbackAddress(remoteAddress)) return false;
  if (['forwarded', 'x-forwarded-for', 'x-real-ip'].some((h) => request.headers.has(h))) return false;
  return LOOPBACK_HOST.test(request.headers.get('host') ?? '');
}
