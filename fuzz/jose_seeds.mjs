// Writes the generated seeds of fuzz/corpus/jose/ (fuzz/fuzz_jose.cc): real compact JWS signed by
// Node's crypto (OpenSSL, the same library the OpenID Connect test provider, tests/oidc, signs
// with) with RS256, ES256 and EdDSA keys, each followed by its JWKS; the keys alone as JWKs; ID
// token claims; and RFC 8037 A.4's Ed25519 example. Run: node fuzz/jose_seeds.mjs
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus', 'jose');
fs.mkdirSync(dir, { recursive: true });
const write = (name, mode, text) =>
  fs.writeFileSync(path.join(dir, name), Buffer.concat([Buffer.from([mode]), Buffer.from(text)]));
const b64 = (x) => Buffer.from(x).toString('base64url');

const now = 1800000000;
const claims = {
  iss: 'https://idp.example', aud: 'client-1', sub: 'u-1', iat: now, exp: now + 300, nonce: 'n-1',
  email: 'ann@acme.example', email_verified: true, amr: ['pwd', 'otp'],
};

function keyPair(alg) {
  if (alg === 'RS256') return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'ES256') return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return crypto.generateKeyPairSync('ed25519');
}

function sign(alg, privateKey, input) {
  if (alg === 'EdDSA') return crypto.sign(null, Buffer.from(input), privateKey);
  return crypto.sign('sha256', Buffer.from(input),
    alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
}

for (const alg of ['RS256', 'ES256', 'EdDSA']) {
  const { publicKey, privateKey } = keyPair(alg);
  const kid = `${alg.toLowerCase()}-1`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), alg, use: 'sig', kid };
  const input = `${b64(JSON.stringify({ alg, kid, typ: 'JWT' }))}.${b64(JSON.stringify(claims))}`;
  const token = `${input}.${b64(sign(alg, privateKey, input))}`;
  write(`jws-${alg}`, 0, `${token}\n${JSON.stringify({ keys: [jwk] })}`);
  // The same token against a JWKS of several keys, its own last.
  const other = keyPair(alg).publicKey.export({ format: 'jwk' });
  write(`jws-${alg}-jwks2`, 0,
    `${token}\n${JSON.stringify({ keys: [{ ...other, kid: 'other' }, jwk] })}`);
  write(`jwk-${alg}`, 1, JSON.stringify(jwk));
}
// RFC 8037 A.4: the Ed25519 example (its payload is text, not claims).
write('jws-rfc8037-a4', 0,
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3A' +
  'IbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg\n' +
  '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}');
write('alg-none', 0, `${b64('{"alg":"none"}')}.${b64(JSON.stringify(claims))}.\n{"keys":[]}`);
write('claims', 2, JSON.stringify(claims));
write('claims-aud-array', 2, JSON.stringify({ ...claims, aud: ['client-1', 'client-2'], azp: 'client-1' }));
write('base64url', 3, b64(crypto.randomBytes(33)));
