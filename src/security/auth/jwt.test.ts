import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { JwtVerifier } from './jwt.js';

const AUDIENCE = 'http://127.0.0.1:3000/mcp';

async function setup(cacheTtlMs = 60_000) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const verifier = new JwtVerifier({
    publicKeys: [await exportSPKI(publicKey)],
    audience: () => AUDIENCE,
    algorithms: ['ES256'],
    clockToleranceSec: 0,
    jwksCooldownMs: 30_000,
    cacheTtlMs,
  });
  await verifier.ready();
  const sign = (expiresInSec: number, subject = 'alice') =>
    new SignJWT({ scope: 'tools' })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject(subject)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSec)
      .sign(privateKey);
  return { verifier, sign };
}

test('a verified token is answered from the cache synchronously, with the same identity', async () => {
  const { verifier, sign } = await setup();
  const token = await sign(600);
  const first = verifier.verify(token);
  assert.ok(first instanceof Promise, 'the first sight checks the signature');
  const identity = await first;
  assert.equal(identity?.subject, 'alice');
  const second = verifier.verify(token);
  assert.ok(!(second instanceof Promise), 'the second sight is a cache hit');
  assert.equal(second, identity);
});

test('the cache never outlives the token: an expired token is verified again, and refused', async () => {
  const { verifier, sign } = await setup();
  const token = await sign(1);
  assert.equal((await verifier.verify(token))?.subject, 'alice');
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const again = verifier.verify(token);
  assert.ok(again instanceof Promise, 'expired entries are not served');
  assert.equal(await again, undefined);
});

test('invalid tokens are never cached, and a tampered token is not a cache hit', async () => {
  const { verifier, sign } = await setup();
  const token = await sign(600);
  await verifier.verify(token);
  const [header, payload, signature] = token.split('.');
  const tampered = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
  assert.equal(await verifier.verify(tampered), undefined);
  assert.ok(verifier.verify(tampered) instanceof Promise);
});

test('cacheTtlMs 0 disables the cache', async () => {
  const { verifier, sign } = await setup(0);
  const token = await sign(600);
  await verifier.verify(token);
  assert.ok(verifier.verify(token) instanceof Promise);
});
