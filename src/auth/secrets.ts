import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function scryptAsync(secret: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export function newClientId(): string {
  return randomUUID();
}

export function newClientSecret(): string {
  return `sec_${randomBytes(24).toString('base64url')}`;
}

/** `scrypt$N$r$p$salt$hash`, all parameters kept so they can be raised later. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(secret, salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// scrypt is deliberately slow (~tens of ms) and takes 16 MB while it runs;
// remembering which (hash, secret) pairs verified keeps per-request cost at one
// hash lookup. Only successes are kept, keyed by a digest of the secret, never
// the secret itself. Concurrent requests with the same credentials share one
// verification, so a burst of them on a cold process runs scrypt once, not once
// per request (each would hold its 16 MB in a thread's malloc arena for good).
const verified = new Map<string, true>();
const VERIFIED_LIMIT = 10_000;
const verifying = new Map<string, Promise<boolean>>();

function memoKeyOf(secret: string, stored: string): string {
  return `${stored}\0${createHash('sha256').update(secret).digest('base64url')}`;
}

/** Whether verifySecret would answer from memory, without running scrypt. */
export function isRememberedSecret(secret: string, stored: string): boolean {
  return verified.has(memoKeyOf(secret, stored));
}

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const memoKey = memoKeyOf(secret, stored);
  if (verified.has(memoKey)) return true;
  let pending = verifying.get(memoKey);
  if (!pending) {
    pending = computeVerification(secret, stored).finally(() => verifying.delete(memoKey));
    verifying.set(memoKey, pending);
  }
  const ok = await pending;
  if (ok) {
    if (verified.size >= VERIFIED_LIMIT) verified.clear();
    verified.set(memoKey, true);
  }
  return ok;
}

async function computeVerification(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
