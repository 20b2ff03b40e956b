import * as crypto from 'node:crypto';

import { describe, expect, it, vi } from 'vitest';

// Count scrypt runs: the real function, observed.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:crypto')>();
  return { ...original, scrypt: vi.fn(original.scrypt) };
});

const { hashSecret, newClientSecret, verifySecret } = await import('../src/auth/secrets.ts');
const scrypt = vi.mocked(crypto.scrypt);

describe('client secrets', () => {
  it('a burst of requests with the same credentials on a cold process runs scrypt once', async () => {
    const secret = newClientSecret();
    const stored = await hashSecret(secret);
    scrypt.mockClear();
    const results = await Promise.all(Array.from({ length: 16 }, () => verifySecret(secret, stored)));
    expect(results).toEqual(Array(16).fill(true));
    expect(scrypt).toHaveBeenCalledTimes(1);
    // Remembered afterwards: no scrypt at all.
    expect(await verifySecret(secret, stored)).toBe(true);
    expect(scrypt).toHaveBeenCalledTimes(1);
  });

  it('a wrong secret is refused every time, and is never remembered', async () => {
    const stored = await hashSecret(newClientSecret());
    const wrong = newClientSecret();
    scrypt.mockClear();
    const results = await Promise.all(Array.from({ length: 4 }, () => verifySecret(wrong, stored)));
    expect(results).toEqual(Array(4).fill(false));
    expect(await verifySecret(wrong, stored)).toBe(false);
    // The concurrent four shared one run; the later attempt ran again (failures are not cached).
    expect(scrypt).toHaveBeenCalledTimes(2);
  });
});
