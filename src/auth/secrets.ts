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

// scrypt is deliberately slow (~tens of ms); remembering which (hash, secret)
// pairs verified keeps per-request cost at one hash lookup. Only successes are
// kept, keyed by a digest of the secret, never the secret itself.
const verified = new Map<string, true>();
const VERIFIED_LIMIT = 10_000;

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const memoKey = `${stored}\0${createHash('sha256').update(secret).digest('base64url')}`;
  if (verified.has(memoKey)) return true;
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(secret, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
  if (ok) {
    if (verified.size >= VERIFIED_LIMIT) verified.clear();
    verified.set(memoKey, true);
  }
  return ok;
}
