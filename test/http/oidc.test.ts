import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact } from '../fixtures/artifacts.ts';
import { requestJson } from '../support/http.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';

/**
 * The GitHub Actions OIDC exchange against the real local stack and a local issuer: a node http server
 * serving an OpenID configuration and the JWKS of a test key, as token.actions.githubusercontent.com does.
 */
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\n';
const AUDIENCE = 'https://ferry.example.com';
const RULES = [
  { repository: 'acme/web', ref: 'refs/heads/main', role: 'ci', envs: ['staging'] },
  {
    repository: 'acme/web',
    ref: 'refs/heads/main',
    environment: 'production',
    role: 'viewer',
    envs: ['production'],
  },
];

let jwks: Server;
let issuer: string;
let t: TestStack;
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let key: PrivateKey;
let stranger: PrivateKey;

const GOOD: JWTPayload = {
  repository: 'acme/web',
  repository_owner: 'acme',
  ref: 'refs/heads/main',
  ref_type: 'branch',
  workflow: 'deploy',
  job_workflow_ref: 'acme/web/.github/workflows/deploy.yml@refs/heads/main',
  event_name: 'push',
  sha: 'a'.repeat(40),
  actor: 'octocat',
};

async function sign(
  claims: JWTPayload = GOOD,
  opts: { iss?: string; aud?: string; expiresIn?: number; signer?: PrivateKey; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'test-key' })
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject(`repo:${claims.repository}:ref:${claims.ref}`)
    .setIssuedAt(now - 10)
    .setNotBefore(now - 10)
    .setExpirationTime(now + (opts.expiresIn ?? 300))
    .sign(opts.signer ?? key);
}

const exchange = (token: unknown) => requestJson(t.url, 'POST', '/api/token/oidc', { body: { token } });

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  stranger = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwks = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/.well-known/jwks` }));
    } else if (req.url === '/.well-known/jwks') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  t = await startTestStack({ oidc: { rules: JSON.stringify(RULES), audience: AUDIENCE, issuer } });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

describe('POST /api/token/oidc', () => {
  it('good claims get a short-lived token scoped to the rule: its env works, another is 403', async () => {
    const res = await exchange(await sign());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ login: 'github:acme/web', role: 'ci', environments: ['staging'] });
    const ttl = Date.parse(res.body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300_000); // never past the OIDC token's own expiry
    const token = res.body.token as string;
    expect(token).toMatch(/^ferry_/);

    const staging = await t.request('POST', '/api/artifact', {
      token,
      body: artifact({}, [{ app: 'api', env: 'staging', manifests: CM }]),
    });
    expect(staging.status).toBe(201);
    const production = await t.request('POST', '/api/artifact', {
      token,
      body: artifact({}, [{ app: 'api', env: 'production', manifests: CM }]),
    });
    expect(production.status).toBe(403);
    expect(production.body.error.message).toContain('"production" is outside');
    // Install-wide actions stay closed to it.
    expect((await t.request('GET', '/api/users', { token })).status).toBe(403);

    const audit = (await t.request('GET', '/api/audit?limit=50')).body as any[];
    const entry = audit.find((e) => e.action === 'oidc.exchange' && e.tokenId === res.body.tokenId);
    expect(entry).toMatchObject({
      actor: 'github:acme/web',
      target: 'acme/web',
      detail: { role: 'ci', envs: 'staging', workflow: 'deploy', actor: 'octocat', ref: 'refs/heads/main' },
    });
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('the first matching rule wins, and claims pick the rule (environment)', async () => {
    const res = await exchange(await sign({ ...GOOD, environment: 'production' }));
    // The first rule names no environment, so it matches too and comes first.
    expect(res.body).toMatchObject({ role: 'ci', environments: ['staging'] });
  });

  it('lives 15 minutes at most, even when the OIDC token lives longer', async () => {
    const before = Date.now();
    const res = await exchange(await sign(GOOD, { expiresIn: 3600 }));
    expect(res.status).toBe(201);
    const ttl = Date.parse(res.body.expiresAt) - before;
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000 + 1000);
  });

  it('the issued token stops working when the OIDC token would have expired', async () => {
    const res = await exchange(await sign(GOOD, { expiresIn: 2 }));
    expect(res.status).toBe(201);
    expect((await t.request('GET', '/api/me', { token: res.body.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(res.body.expiresAt) - Date.now() + 200));
    const after = await t.request('GET', '/api/me', { token: res.body.token });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain('token expired');
  });

  it.each([
    [
      'wrong repository',
      () => sign({ ...GOOD, repository: 'evil/web' }),
      403,
      'no OIDC rule grants repository evil/web',
    ],
    ['wrong branch', () => sign({ ...GOOD, ref: 'refs/heads/feature' }), 403, 'ref refs/heads/feature'],
    ['wrong audience', () => sign(GOOD, { aud: 'sts.amazonaws.com' }), 401, `audience must be ${AUDIENCE}`],
    ['expired', () => sign(GOOD, { expiresIn: -120 }), 401, 'it has expired'],
    ['key not in the JWKS', () => sign(GOOD, { signer: stranger, kid: 'other' }), 401, 'not in the issuer'],
    ['same kid, other key', () => sign(GOOD, { signer: stranger }), 401, 'signature does not verify'],
    [
      'wrong issuer',
      () => sign(GOOD, { iss: 'https://token.actions.githubusercontent.com' }),
      401,
      'issuer must be',
    ],
    ['not a JWT', async () => 'ferry_abc', 401, 'not a signed JWT'],
  ])('%s: refused and audited', async (_, make, status, message) => {
    const res = await exchange(await make());
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(message);
    const audit = (await t.request('GET', '/api/audit?limit=20')).body as any[];
    expect(
      audit.some((e) => e.action === 'oidc.exchange.refused' && String(e.detail?.reason).includes(message)),
    ).toBe(true);
  });

  it('bad input is a 400', async () => {
    expect((await exchange(undefined)).status).toBe(400);
    expect(
      (await requestJson(t.url, 'POST', '/api/token/oidc', { body: { token: 'x', extra: 1 } })).status,
    ).toBe(400);
  });
});
