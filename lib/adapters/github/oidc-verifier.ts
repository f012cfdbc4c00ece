import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import type { Clock, OidcVerifier } from '../../app/ports.ts';
import { UnauthenticatedError } from '../../domain/errors.ts';
import type { GithubClaims } from '../../domain/oidc-rules.ts';

/** GitHub Actions' issuer (https://docs.github.com/en/actions/reference/security/oidc). */
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
/** `exp`, `nbf` and `iat` may be this far off the server's clock. */
export const CLOCK_TOLERANCE_SECONDS = 30;

export interface OidcVerifierOptions {
  /** The `iss` a token must carry; its `/.well-known/openid-configuration` names the JWKS. */
  issuer: string;
  /** The `aud` a token must carry (what the workflow asked GitHub for). */
  audience: string;
  clock: Clock;
}

/**
 * Verifies a GitHub Actions OIDC token: RS256 signature against the issuer's JWKS (discovered once through
 * its OpenID configuration; jose caches the keys and refetches on an unknown `kid`), then `iss`, `aud`,
 * `exp` and `nbf` with a small tolerance. Every refusal is an UnauthenticatedError naming what failed.
 */
export function makeOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keys = () => {
    jwks ??= discover(options.issuer).catch((error: unknown) => {
      jwks = undefined; // the next exchange tries again
      throw error;
    });
    return jwks;
  };
  return {
    async verify(jwt) {
      if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jwt)) {
        throw new UnauthenticatedError('OIDC token is not a signed JWT');
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(jwt, await keys(), {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ['RS256'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: options.clock.now(),
          requiredClaims: ['exp', 'iat'],
        }));
      } catch (error) {
        throw new UnauthenticatedError(`OIDC token refused: ${reason(error, options)}`, { cause: error });
      }
      if (typeof payload.repository !== 'string' || payload.repository === '') {
        throw new UnauthenticatedError('OIDC token refused: it carries no repository claim');
      }
      return { claims: pickClaims(payload), expiresAt: new Date((payload.exp as number) * 1000) };
    },
  };
}

async function discover(issuer: string): Promise<ReturnType<typeof createRemoteJWKSet>> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`OIDC discovery ${url} answered ${res.status}`);
  const config = (await res.json()) as { jwks_uri?: unknown };
  if (typeof config.jwks_uri !== 'string') throw new Error(`OIDC discovery ${url} names no jwks_uri`);
  return createRemoteJWKSet(new URL(config.jwks_uri), { timeoutDuration: 5000, cooldownDuration: 30_000 });
}

function reason(error: unknown, options: OidcVerifierOptions): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return `issuer must be ${options.issuer}`;
    if (error.claim === 'aud') return `audience must be ${options.audience}`;
    if (error.claim === 'nbf') return 'it is not valid yet (nbf)';
    return `claim ${error.claim} is invalid: ${error.reason}`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return "its signing key is not in the issuer's JWKS";
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'it must be signed with RS256';
  if (error instanceof errors.JOSEError) return 'it is malformed';
  throw error; // discovery or the JWKS fetch failed: not the caller's fault
}

const CLAIMS = [
  'repository_owner',
  'ref',
  'ref_type',
  'workflow',
  'workflow_ref',
  'job_workflow_ref',
  'environment',
  'event_name',
  'sha',
  'actor',
] as const;

function pickClaims(payload: JWTPayload): GithubClaims {
  const claims: GithubClaims = { repository: payload.repository as string };
  for (const name of CLAIMS) {
    const value = payload[name];
    if (typeof value === 'string' && value !== '') claims[name] = value;
  }
  return claims;
}
